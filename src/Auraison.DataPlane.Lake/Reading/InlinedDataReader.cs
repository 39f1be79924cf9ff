using System.Data.Common;
using System.Globalization;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// Rows kept inside the catalog instead of Parquet (inserts the stock extension or this engine inlined):
/// <c>ducklake_inlined_data_&lt;table&gt;_&lt;schema version&gt;</c>, and positions deleted from Parquet files in
/// <c>ducklake_inlined_delete_&lt;table&gt;</c>. Values come back as text to cast. Questions over many tables are one
/// query each, so a read of a lake with many tables does not ask once per table.
/// </summary>
public sealed class InlinedDataReader(DbConnection connection, DbTransaction? transaction, CatalogReader catalog)
{
    /// <summary>A catalog table holding one table's inlined rows of one schema version.</summary>
    public sealed record InlinedTable(long TableId, string Name, long SchemaVersion);

    /// <summary>The inlined-data tables of these tables, oldest schema version first.</summary>
    public async Task<List<InlinedTable>> TablesAsync(IReadOnlyCollection<long> tableIds, CancellationToken cancellationToken) =>
        tableIds.Count == 0
            ? []
            : await connection.QueryAsync(transaction,
                $"SELECT table_id, table_name, schema_version FROM ducklake_inlined_data_tables WHERE table_id IN ({Ids(tableIds)}) ORDER BY table_id, schema_version",
                r => new InlinedTable(r.GetInt64(0), r.GetString(1), r.NullableInt64(2) ?? 0), cancellationToken);

    /// <summary>
    /// Rows of each inlined table visible at the snapshot (and passing its table's SQL predicate, when one is given),
    /// counted in one query, with the newest snapshot that inserted one of them.
    /// </summary>
    public async Task<Dictionary<string, (long Count, long? Newest)>> CountsAsync(IReadOnlyList<InlinedTable> tables, long snapshot,
        Func<long, string?> predicate, CancellationToken cancellationToken)
    {
        if (tables.Count == 0) return [];
        var counts = string.Join(" UNION ALL ", tables.Select(t =>
            $"SELECT {SqlText.Literal(t.Name)} AS t, count(*) AS n, max(begin_snapshot) AS newest FROM {SqlText.Identifier(t.Name)} " +
            $"WHERE {CatalogReader.Visible()}{And(predicate(t.TableId))}"));
        return (await connection.QueryAsync(transaction, counts,
                r => (Name: r.GetString(0), Count: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), Newest: r.NullableInt64(2)),
                cancellationToken, snapshot))
            .ToDictionary(c => c.Name, c => (c.Count, c.Newest), StringComparer.Ordinal);
    }

    /// <summary>Visible rows of one inlined table (passing the predicate, when given), each with its values by column id, as text.</summary>
    public async Task<List<InlinedRow>> RowsAsync(InlinedTable table, long snapshot, string? predicate, CancellationToken cancellationToken)
    {
        var physical = await PhysicalColumnsAsync(table.Name, cancellationToken);
        var values = physical.Skip(3).Select(c => c.DataType.Equals("bytea", StringComparison.OrdinalIgnoreCase)
            ? $"convert_from({SqlText.Identifier(c.Name)}, 'UTF8')"
            : $"CAST({SqlText.Identifier(c.Name)} AS VARCHAR)").ToList();
        if (values.Count == 0) return [];
        var columnIds = await ColumnIdsAtVersionAsync(table.TableId, table.SchemaVersion, cancellationToken);
        var found = await connection.QueryAsync(transaction,
            $"SELECT row_id, begin_snapshot, {string.Join(", ", values)} FROM {SqlText.Identifier(table.Name)} " +
            $"WHERE {CatalogReader.Visible()}{And(predicate)} ORDER BY row_id",
            r => (RowId: r.GetInt64(0), Begin: r.GetInt64(1), Values: Enumerable.Range(2, r.FieldCount - 2).Select(r.NullableString).ToList()),
            cancellationToken, snapshot);
        List<InlinedRow> rows = [];
        foreach (var row in found)
        {
            var byId = new Dictionary<long, string?>();
            for (var i = 0; i < row.Values.Count && i < columnIds.Count; i++) byId[columnIds[i]] = row.Values[i];
            rows.Add(new InlinedRow(table.Name, row.RowId, row.Begin, byId));
        }
        return rows;
    }

    /// <summary>Tables that have positions deleted through the catalog (a <c>ducklake_inlined_delete_&lt;table&gt;</c> table).</summary>
    public async Task<HashSet<long>> TablesWithInlinedDeletesAsync(CancellationToken cancellationToken) =>
        (await connection.QueryAsync(transaction,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ducklake_inlined_delete_%'",
            r => r.GetString(0), cancellationToken))
        .Select(name => long.TryParse(name["ducklake_inlined_delete_".Length..], CultureInfo.InvariantCulture, out var id) ? id : -1)
        .Where(id => id >= 0).ToHashSet();

    /// <summary>Positions deleted from Parquet files through the catalog, per data file id.</summary>
    public async Task<Dictionary<long, List<long>>> DeletedPositionsAsync(long tableId, long snapshot, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync(transaction,
            $"SELECT file_id, row_id FROM {SqlText.Identifier($"ducklake_inlined_delete_{tableId}")} WHERE begin_snapshot <= $1 ORDER BY file_id, row_id",
            r => (File: r.GetInt64(0), Position: r.GetInt64(1)), cancellationToken, snapshot);
        return rows.GroupBy(r => r.File).ToDictionary(g => g.Key, g => g.Select(r => r.Position).ToList());
    }

    private static string And(string? predicate) => predicate is null ? "" : $" AND ({predicate})";

    private static string Ids(IEnumerable<long> ids) => string.Join(", ", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));

    private Task<List<(string Name, string DataType)>> PhysicalColumnsAsync(string table, CancellationToken cancellationToken) =>
        connection.QueryAsync(transaction,
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """,
            r => (r.GetString(0), r.GetString(1)), cancellationToken, table);

    // The inlined table's columns are the table's top-level columns as of that schema version, in order.
    private async Task<List<long>> ColumnIdsAtVersionAsync(long tableId, long schemaVersion, CancellationToken cancellationToken)
    {
        var begin = await connection.ScalarAsync<long?>(transaction,
            "SELECT max(begin_snapshot) FROM ducklake_schema_versions WHERE table_id = $1 AND schema_version <= $2",
            cancellationToken, tableId, schemaVersion)
            ?? await connection.ScalarAsync<long?>(transaction,
                "SELECT min(snapshot_id) FROM ducklake_snapshot WHERE schema_version = $1", cancellationToken, schemaVersion)
            ?? 0;
        var columns = await catalog.ColumnsAsync(begin, [tableId], cancellationToken);
        return columns.TryGetValue(tableId, out var top) ? top.Select(c => c.Id).ToList() : [];
    }
}
