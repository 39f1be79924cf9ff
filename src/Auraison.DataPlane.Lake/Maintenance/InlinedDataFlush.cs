using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Lake.Catalog;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Maintenance;

/// <summary>
/// Moves rows kept in the catalog into Parquet, as the stock extension's <c>ducklake_flush_inlined_data</c> does: one
/// file per partition whose rows keep their row ids and the snapshots that inserted them (the file begins at the
/// first and records the last as partial_max), so every snapshot before the flush still reads exactly its rows.
/// The flushed rows leave the catalog in the same commit. Rows already deleted stay where they are (their history
/// ends in the catalog).
/// </summary>
public static class InlinedDataFlush
{
    /// <summary>
    /// Flushes the inlined rows of every table that has any (or of <paramref name="onlyTables"/>, <c>schema.table</c> in
    /// lower case); the report's Files are the files written, its Bytes the rows moved.
    /// </summary>
    public static async Task<MaintenanceReport> FlushInlinedDataAsync(this Lakehouse lake, bool dryRun, CancellationToken cancellationToken,
        IReadOnlyCollection<string>? onlyTables = null)
    {
        var candidates = onlyTables ?? await TablesWithInlinedDataAsync(lake, cancellationToken);
        if (candidates.Count == 0) return MaintenanceReport.Nothing(dryRun);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, cancellationToken, onlyTables: candidates);
        List<string> written = [];
        long rows = 0;
        foreach (var table in content.Tables)
        {
            var live = content.Data[table.Id].InlinedRows;
            if (live.Count == 0) continue;
            rows += live.Count;
            if (dryRun) continue;
            written.AddRange(await FlushAsync(lake, table, live, cancellationToken));
        }
        return new MaintenanceReport(dryRun, [], written, rows);
    }

    /// <summary>Live tables that have inlined-data tables, as <c>schema.table</c> in lower case.</summary>
    public static async Task<IReadOnlyList<string>> TablesWithInlinedDataAsync(this Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            """
            SELECT DISTINCT lower(s.schema_name) || '.' || lower(t.table_name) FROM ducklake_inlined_data_tables i
            JOIN ducklake_table t ON t.table_id = i.table_id AND t.end_snapshot IS NULL
            JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
            """, r => r.GetString(0), cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> FlushAsync(Lakehouse lake, LakeTable table, IReadOnlyList<InlinedRow> rows, CancellationToken cancellationToken)
    {
        await using var work = lake.OpenWorkConnection();
        IReadOnlyList<StagedFile> staged;
        await using (var loaded = await InlinedRowsTable.LoadAsync(work, table, rows, withIds: true, cancellationToken))
            staged = await ParquetStager.WriteAsync(work, table, loaded.Select, lake.StagingDirectory,
                cancellationToken, internalColumns: [TableScanSql.RowIdColumn, TableScanSql.SnapshotIdColumn]);
        try
        {
            await lake.UploadAsync(table, staged, cancellationToken);
            await lake.CommitAsync(async (commit, token) =>
            {
                await RemoveFlushedAsync(commit, table, rows, token);
                await AppendOperations.InsertFilesAsync(commit, table, staged, rowIdStart: 0, token);
                await commit.ExecuteAsync("UPDATE ducklake_table_stats SET file_size_bytes = file_size_bytes + $1 WHERE table_id = $2", token,
                    staged.Sum(f => f.FileSizeBytes), table.Id);
                commit.Record(SnapshotChange.InlineFlush(table.Id));
                return 0;
            }, cancellationToken, new CommitOptions { Author = "maintenance", Message = $"flush inlined rows of {table.QualifiedName}" });
            return staged.Select(f => table.Directory + f.RelativePath).ToList();
        }
        catch
        {
            await lake.DeleteUploadedAsync(table, staged, CancellationToken.None);
            throw;
        }
        finally
        {
            foreach (var file in staged) File.Delete(file.LocalPath);
        }
    }

    /// <summary>Deletes the flushed rows from the catalog; a conflict when one of them was deleted or flushed meanwhile.</summary>
    private static async Task RemoveFlushedAsync(Writing.CatalogCommit commit, LakeTable table, IReadOnlyList<InlinedRow> rows, CancellationToken cancellationToken)
    {
        await commit.CurrentAsync(table, cancellationToken);
        foreach (var group in rows.GroupBy(r => r.Table))
        {
            var ids = string.Join(", ", group.Select(r => r.RowId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var removed = await commit.ExecuteAsync($"DELETE FROM {Identifier(group.Key)} WHERE row_id IN ({ids}) AND end_snapshot IS NULL", cancellationToken);
            if (removed != group.Count())
                throw new LakeConflictException($"Rows of {table.QualifiedName} kept in the catalog changed while they were being flushed.");
        }
    }
}
