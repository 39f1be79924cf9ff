using System.Data.Common;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Lake.Maintenance;

/// <summary>
/// Expires snapshots: removes their snapshot rows, and the rows of data and delete files that no remaining snapshot
/// can see, scheduling those files for deletion. The newest snapshot and pinned ones always stay.
/// </summary>
public static class SnapshotExpiry
{
    internal sealed record EndedFile(string Kind, long Id, long DataFileId, long Begin, long End, string Path, long Bytes);

    public static async Task<MaintenanceReport> ExpireSnapshotsAsync(this Lakehouse lake, DateTimeOffset olderThan,
        IReadOnlySet<long> pinned, bool dryRun, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var snapshots = await connection.QueryAsync(transaction,
            "SELECT snapshot_id, snapshot_time < CAST($1 AS TIMESTAMP WITH TIME ZONE) FROM ducklake_snapshot ORDER BY snapshot_id",
            r => (Id: r.GetInt64(0), Old: r.GetBoolean(1)), cancellationToken, CatalogReader.Timestamp(olderThan));
        var newest = snapshots[^1].Id;
        var expired = snapshots.Where(s => s.Old && s.Id != newest && !pinned.Contains(s.Id)).Select(s => s.Id).ToList();
        if (expired.Count == 0) return MaintenanceReport.Nothing(dryRun);
        var remaining = snapshots.Select(s => s.Id).Except(expired).Order().ToArray();

        var unreachable = (await EndedFilesAsync(connection, transaction, lake, cancellationToken))
            .Where(f => !VisibleInAny(remaining, f.Begin, f.End)).ToList();
        var report = new MaintenanceReport(dryRun, expired, unreachable.Select(f => f.Path).ToList(), unreachable.Sum(f => f.Bytes));
        if (dryRun) return report;

        await RemoveAsync(connection, transaction, lake, unreachable, cancellationToken);
        foreach (var id in expired)
        {
            await connection.ExecuteAsync(transaction, "DELETE FROM ducklake_snapshot WHERE snapshot_id = $1", cancellationToken, id);
            await connection.ExecuteAsync(transaction, "DELETE FROM ducklake_snapshot_changes WHERE snapshot_id = $1", cancellationToken, id);
        }
        await transaction.CommitAsync(cancellationToken);
        return report;
    }

    /// <summary>Removes the files' catalog rows and schedules the files for deletion (FileCleanup deletes them).</summary>
    internal static async Task RemoveAsync(DbConnection connection, DbTransaction transaction, Lakehouse lake, IEnumerable<EndedFile> files,
        CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            if (file.Kind == "data")
            {
                foreach (var table in new[] { "ducklake_data_file", "ducklake_file_column_stats", "ducklake_file_partition_value", "ducklake_file_variant_stats" })
                    await connection.ExecuteAsync(transaction, $"DELETE FROM {table} WHERE data_file_id = $1", cancellationToken, file.Id);
            }
            else
            {
                await connection.ExecuteAsync(transaction, "DELETE FROM ducklake_delete_file WHERE delete_file_id = $1", cancellationToken, file.Id);
            }
            await connection.ExecuteAsync(transaction, "INSERT INTO ducklake_files_scheduled_for_deletion VALUES ($1, $2, true, CAST($3 AS TIMESTAMP WITH TIME ZONE))",
                cancellationToken, file.DataFileId, RelativeToDataPath(lake, file.Path), CatalogReader.Timestamp(DateTimeOffset.UtcNow));
        }
    }

    /// <summary>True when some snapshot s in the sorted list has begin &lt;= s &lt; end.</summary>
    internal static bool VisibleInAny(long[] sortedSnapshots, long begin, long end)
    {
        var index = Array.BinarySearch(sortedSnapshots, begin);
        if (index < 0) index = ~index;
        return index < sortedSnapshots.Length && sortedSnapshots[index] < end;
    }

    /// <summary>Data and delete files that a snapshot ended (with <paramref name="includeLive"/>, live ones too, with end long.MaxValue).</summary>
    internal static async Task<List<EndedFile>> EndedFilesAsync(DbConnection connection, DbTransaction transaction, Lakehouse lake,
        CancellationToken cancellationToken, bool includeLive = false)
    {
        var which = includeLive ? "" : " WHERE end_snapshot IS NOT NULL";
        // Paths resolve against the table's directory as of when the file was live; tables keep their directory.
        var directories = await TableDirectoriesAsync(connection, transaction, lake, cancellationToken);
        var data = await connection.QueryAsync(transaction,
            $"SELECT data_file_id, table_id, begin_snapshot, end_snapshot, path, path_is_relative, file_size_bytes FROM ducklake_data_file{which}",
            r => new EndedFile("data", r.GetInt64(0), r.GetInt64(0), r.GetInt64(2), r.NullableInt64(3) ?? long.MaxValue,
                DataPaths.Resolve(directories.GetValueOrDefault(r.GetInt64(1), lake.DataPath), r.GetString(4), r.NullableBoolean(5) ?? true),
                r.NullableInt64(6) ?? 0),
            cancellationToken);
        var deletes = await connection.QueryAsync(transaction,
            $"SELECT delete_file_id, data_file_id, table_id, begin_snapshot, end_snapshot, path, path_is_relative, file_size_bytes FROM ducklake_delete_file{which}",
            r => new EndedFile("delete", r.GetInt64(0), r.GetInt64(1), r.GetInt64(3), r.NullableInt64(4) ?? long.MaxValue,
                DataPaths.Resolve(directories.GetValueOrDefault(r.GetInt64(2), lake.DataPath), r.GetString(5), r.NullableBoolean(6) ?? true),
                r.NullableInt64(7) ?? 0),
            cancellationToken);
        return [.. data, .. deletes];
    }

    internal static async Task<Dictionary<long, string>> TableDirectoriesAsync(DbConnection connection, DbTransaction? transaction, Lakehouse lake,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync(transaction,
            """
            SELECT DISTINCT t.table_id, s.path, s.path_is_relative, t.path, t.path_is_relative
            FROM ducklake_table t JOIN ducklake_schema s ON s.schema_id = t.schema_id
            """,
            r => (Table: r.GetInt64(0), Directory: DataPaths.Resolve(
                DataPaths.Resolve(lake.DataPath, r.NullableString(1) ?? "", r.NullableBoolean(2) ?? true),
                r.NullableString(3) ?? "", r.NullableBoolean(4) ?? true)),
            cancellationToken);
        return rows.GroupBy(r => r.Table).ToDictionary(g => g.Key, g => g.First().Directory);
    }

    internal static string RelativeToDataPath(Lakehouse lake, string path) =>
        path.StartsWith(lake.DataPath, StringComparison.Ordinal) ? path[lake.DataPath.Length..] : path;
}
