using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Lake.Maintenance;

/// <summary>Deletes objects the catalog no longer needs: files scheduled by expiry, and orphans no catalog row names.</summary>
public static class FileCleanup
{
    /// <summary>Deletes files scheduled for deletion before <paramref name="olderThan"/>, then their schedule rows.</summary>
    public static async Task<MaintenanceReport> CleanupOldFilesAsync(this Lakehouse lake, DateTimeOffset olderThan, bool dryRun,
        CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var scheduled = await connection.QueryAsync(null,
            "SELECT path, path_is_relative FROM ducklake_files_scheduled_for_deletion WHERE schedule_start < CAST($1 AS TIMESTAMP WITH TIME ZONE)",
            r => (Stored: r.GetString(0), Path: DataPaths.Resolve(lake.DataPath, r.GetString(0), r.NullableBoolean(1) ?? true)),
            cancellationToken, CatalogReader.Timestamp(olderThan));
        if (!dryRun)
        {
            foreach (var file in scheduled)
            {
                // Object first, row second: a crash in between leaves a row whose object is already gone, retried harmlessly.
                await lake.Storage.DeleteAsync(file.Path, cancellationToken);
                await connection.ExecuteAsync(null, "DELETE FROM ducklake_files_scheduled_for_deletion WHERE path = $1", cancellationToken, file.Stored);
            }
        }
        return new MaintenanceReport(dryRun, [], scheduled.Select(f => f.Path).ToList(), 0);
    }

    /// <summary>
    /// Deletes objects under the data path that no catalog row refers to and that are older than
    /// <paramref name="olderThan"/> (younger ones may belong to a commit still in flight).
    /// </summary>
    public static async Task<MaintenanceReport> DeleteOrphanedFilesAsync(this Lakehouse lake, DateTimeOffset olderThan, bool dryRun,
        CancellationToken cancellationToken)
    {
        var referenced = await ReferencedPathsAsync(lake, cancellationToken);
        List<(string Path, long Bytes)> orphans = [];
        await foreach (var stored in lake.Storage.ListAsync(lake.DataPath, cancellationToken))
        {
            if (stored.LastModifiedUtc >= olderThan.UtcDateTime || referenced.Contains(stored.Path)) continue;
            if (stored.Path.StartsWith(lake.RawObjectsPath, StringComparison.Ordinal)) continue;
            if (!stored.Path.EndsWith(".parquet", StringComparison.Ordinal)) continue;
            orphans.Add((stored.Path, stored.SizeBytes));
        }
        if (!dryRun)
            foreach (var orphan in orphans) await lake.Storage.DeleteAsync(orphan.Path, cancellationToken);
        return new MaintenanceReport(dryRun, [], orphans.Select(o => o.Path).ToList(), orphans.Sum(o => o.Bytes));
    }

    private static async Task<HashSet<string>> ReferencedPathsAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var directories = await SnapshotExpiry.TableDirectoriesAsync(connection, null, lake, cancellationToken);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "ducklake_data_file", "ducklake_delete_file" })
        {
            var paths = await connection.QueryAsync(null, $"SELECT table_id, path, path_is_relative FROM {table}",
                r => DataPaths.Resolve(directories.GetValueOrDefault(r.GetInt64(0), lake.DataPath), r.GetString(1), r.NullableBoolean(2) ?? true),
                cancellationToken);
            referenced.UnionWith(paths);
        }
        var scheduled = await connection.QueryAsync(null, "SELECT path, path_is_relative FROM ducklake_files_scheduled_for_deletion",
            r => DataPaths.Resolve(lake.DataPath, r.GetString(0), r.NullableBoolean(1) ?? true), cancellationToken);
        referenced.UnionWith(scheduled);
        return referenced;
    }
}
