using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>Rows to keep in the catalog: each row's values as text, one per top-level column, and their statistics.</summary>
public sealed record InlinedRows(IReadOnlyList<string?[]> Values, IReadOnlyList<ColumnStats> Stats)
{
    /// <summary>
    /// Reads the rows of <paramref name="source"/> (a DuckDB SELECT on <paramref name="work"/> with the table's columns by
    /// name) as text in the table's column order, with the statistics the Parquet writer would give them.
    /// </summary>
    public static async Task<InlinedRows> ReadAsync(DuckDBConnection work, LakeTable table, string source, string stagingDirectory,
        CancellationToken cancellationToken)
    {
        // The source is read once; statistics and values both come from that copy.
        var stage = Identifier("inline_" + Guid.NewGuid().ToString("N"));
        await ParquetStager.ExecuteAsync(work, $"CREATE TEMP TABLE {stage} AS {source}", cancellationToken);
        try
        {
            var typed = $"SELECT * FROM {stage}";
            var stats = await ParquetStager.StatsAsync(work, table, typed, stagingDirectory, cancellationToken);
            var columns = await ParquetStager.ColumnNamesAsync(work, typed, cancellationToken);
            var select = string.Join(", ", table.Columns.Select(c =>
                columns.FirstOrDefault(s => string.Equals(s, c.Name, StringComparison.OrdinalIgnoreCase)) is { } name
                    ? $"CAST(CAST({Identifier(name)} AS {c.Type.ToDuckDb()}) AS VARCHAR)"
                    : "CAST(NULL AS VARCHAR)"));
            var values = await ParquetStager.QueryAsync(work, $"SELECT {select} FROM {stage}",
                r => Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : r.GetString(i)).ToArray(), cancellationToken);
            return new InlinedRows(values, stats);
        }
        finally
        {
            await ParquetStager.ExecuteAsync(work, $"DROP TABLE IF EXISTS {stage}", CancellationToken.None);
        }
    }
}

/// <summary>
/// Data inlining: small inserts stored as rows of the catalog (<c>ducklake_inlined_data_&lt;table id&gt;_&lt;schema version&gt;</c>)
/// instead of a Parquet file each, laid out as the stock extension lays them out (row_id, begin_snapshot,
/// end_snapshot, then the table's columns), so a stock DuckDB reads them as its own.
/// </summary>
public static class InlineOperations
{
    /// <summary>Types whose values go through the catalog as text and come back the same, in both catalog databases.</summary>
    public static bool CanInline(LakeTable table) => table.AllColumns.All(c => c.TypeName is not ("blob" or "geometry" or "timetz" or "time_ns" or "uint128" or "int128"));

    /// <summary>Adds the rows to the table; returns how many. A conflict when the table lost a column or its partitioning changed.</summary>
    public static async Task<long> AppendInlinedAsync(this CatalogCommit commit, LakeTable planned, InlinedRows rows, CancellationToken cancellationToken)
    {
        var current = await commit.CurrentAsync(planned, cancellationToken);
        AppendOperations.RequireSameLayout(planned, current);
        if (rows.Values.Count == 0) return 0;
        var name = await EnsureInlinedTableAsync(commit, current, cancellationToken);
        var rowId = await AppendOperations.AdvanceTableStatsAsync(commit, planned.Id, rows.Values.Count, addedBytes: 0, cancellationToken);
        var catalogRows = rows.Values.Select(values => (object?[])[rowId++, commit.SnapshotId, null, .. values]).ToList();
        await commit.Database.InsertTextRowsAsync(commit, name, catalogRows, [null, null, null, .. current.Columns.Select(c => commit.Database.InlinedColumnType(c.Type))],
            cancellationToken);
        await AppendOperations.MergeColumnStatsAsync(commit, current, rows.Stats, cancellationToken);
        commit.Record(SnapshotChange.InlinedInsert(planned.Id));
        return rows.Values.Count;
    }

    /// <summary>
    /// The table's inlined-data table for its current schema version (the last one that changed its columns),
    /// created and registered in this commit when it does not exist yet.
    /// </summary>
    private static async Task<string> EnsureInlinedTableAsync(CatalogCommit commit, LakeTable table, CancellationToken cancellationToken)
    {
        var version = commit.TablesWithNewSchema.Contains(table.Id)
            ? commit.Base.SchemaVersion + 1
            : await commit.Connection.ScalarAsync<long?>(commit.Transaction,
                "SELECT max(schema_version) FROM ducklake_schema_versions WHERE table_id = $1", cancellationToken, table.Id) ?? commit.Base.SchemaVersion;
        var name = $"ducklake_inlined_data_{table.Id}_{version}";
        var registered = await commit.Connection.ScalarAsync<long>(commit.Transaction,
            "SELECT count(*) FROM ducklake_inlined_data_tables WHERE table_id = $1 AND schema_version = $2", cancellationToken, table.Id, version);
        if (registered > 0) return name;
        var columns = string.Join(", ", table.Columns.Select(c => $"{Identifier(c.Name)} {commit.Database.InlinedColumnType(c.Type)}"));
        await commit.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {Identifier(name)} (row_id BIGINT, begin_snapshot BIGINT, end_snapshot BIGINT, {columns})",
            cancellationToken);
        await commit.ExecuteAsync("INSERT INTO ducklake_inlined_data_tables VALUES ($1, $2, $3)", cancellationToken, table.Id, name, version);
        return name;
    }

    /// <summary>Ends inlined rows (deletes them from this snapshot on); a conflict when another writer ended or flushed one meanwhile.</summary>
    public static async Task EndInlinedRowsAsync(this CatalogCommit commit, LakeTable table, IReadOnlyList<InlinedRow> rows, CancellationToken cancellationToken)
    {
        foreach (var group in rows.GroupBy(r => r.Table))
        {
            var ids = string.Join(", ", group.Select(r => r.RowId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var ended = await commit.ExecuteAsync(
                $"UPDATE {Identifier(group.Key)} SET end_snapshot = $1 WHERE row_id IN ({ids}) AND end_snapshot IS NULL", cancellationToken, commit.SnapshotId);
            if (ended != group.Count())
                throw new LakeConflictException($"Rows of {table.QualifiedName} kept in the catalog were deleted or flushed by another writer meanwhile.");
        }
        commit.Record(SnapshotChange.InlinedDelete(table.Id));
    }
}
