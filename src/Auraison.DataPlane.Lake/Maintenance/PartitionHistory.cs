using System.Globalization;
using Auraison.DataPlane.Lake.Catalog;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Maintenance;

/// <summary>
/// Forgets the deleted rows of one partition value (of the tables partitioned first by a column of that name) from
/// every snapshot, leaving other partitions' history whole: data files of that partition that a later snapshot
/// ended are removed from the catalog with their delete files and scheduled for deletion, and ended rows inlined in
/// the catalog with that value are dropped. Snapshots in <c>keep</c> still read what they read.
/// </summary>
public static class PartitionHistory
{
    public static async Task<MaintenanceReport> ForgetEndedAsync(this Lakehouse lake, string column, string value, IReadOnlySet<long> keep,
        bool dryRun, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inPartition = (await connection.QueryAsync(transaction,
                """
                SELECT d.data_file_id FROM ducklake_data_file d
                JOIN ducklake_file_partition_value v ON v.data_file_id = d.data_file_id AND v.partition_key_index = 0
                JOIN ducklake_partition_column k ON k.partition_id = d.partition_id AND k.table_id = d.table_id AND k.partition_key_index = 0
                JOIN ducklake_column c ON c.table_id = k.table_id AND c.column_id = k.column_id AND c.end_snapshot IS NULL AND c.column_name = $2
                WHERE d.end_snapshot IS NOT NULL AND v.partition_value = $1 AND k.transform = 'identity'
                """, r => r.GetInt64(0), cancellationToken, value, column)).ToHashSet();
        var kept = keep.Order().ToArray();
        var all = await SnapshotExpiry.EndedFilesAsync(connection, transaction, lake, cancellationToken, includeLive: true);
        var ended = all.Where(f => f.Kind == "data" && inPartition.Contains(f.Id) && !SnapshotExpiry.VisibleInAny(kept, f.Begin, f.End))
            .Select(f => f.Id).ToHashSet();
        // Every delete file of a forgotten data file goes with it, live or not: nothing is left to delete from.
        var files = all.Where(f => ended.Contains(f.DataFileId)).ToList();
        var report = new MaintenanceReport(dryRun, [], files.Select(f => f.Path).ToList(), files.Sum(f => f.Bytes));
        if (dryRun) return report;
        await SnapshotExpiry.RemoveAsync(connection, transaction, lake, files, cancellationToken);
        await ForgetInlinedAsync(connection, transaction, column, value, kept, ended, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return report;
    }

    private static async Task ForgetInlinedAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string column,
        string value, long[] keep, IReadOnlySet<long> forgottenFiles, CancellationToken cancellationToken)
    {
        if (forgottenFiles.Count > 0)
        {
            var deleteTables = await connection.QueryAsync(transaction,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ducklake_inlined_delete_%'",
                r => r.GetString(0), cancellationToken);
            var ids = string.Join(", ", forgottenFiles.Select(id => id.ToString(CultureInfo.InvariantCulture)));
            foreach (var table in deleteTables)
                await connection.ExecuteAsync(transaction, $"DELETE FROM {Identifier(table)} WHERE file_id IN ({ids})", cancellationToken);
        }
        var inlined = await connection.QueryAsync(transaction, "SELECT table_name FROM ducklake_inlined_data_tables", r => r.GetString(0), cancellationToken);
        var keptVisible = string.Concat(keep.Select(s =>
            $" AND NOT (begin_snapshot <= {s.ToString(CultureInfo.InvariantCulture)} AND {s.ToString(CultureInfo.InvariantCulture)} < end_snapshot)"));
        foreach (var table in inlined)
        {
            var hasColumn = await connection.ScalarAsync<long>(transaction,
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
                cancellationToken, table, column);
            if (hasColumn == 0) continue;
            await connection.ExecuteAsync(transaction,
                $"DELETE FROM {Identifier(table)} WHERE end_snapshot IS NOT NULL AND {Identifier(column)} = $1{keptVisible}", cancellationToken, value);
        }
    }
}
