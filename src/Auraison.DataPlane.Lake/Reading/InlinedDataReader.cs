using System.Data.Common;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// Rows the stock extension keeps inside the catalog instead of Parquet (inserts of fewer than
/// <c>data_inlining_row_limit</c> rows): <c>ducklake_inlined_data_&lt;table&gt;_&lt;schema version&gt;</c>, and positions
/// deleted from Parquet files in <c>ducklake_inlined_delete_&lt;table&gt;</c>. Values come back as text to cast.
/// </summary>
public sealed class InlinedDataReader(DbConnection connection, DbTransaction? transaction, CatalogReader catalog)
{
    /// <summary>Visible inlined rows of a table, each with its values by column id, as text.</summary>
    public async Task<List<InlinedRow>> RowsAsync(long tableId, long snapshot, CancellationToken cancellationToken)
    {
        var inlinedTables = await connection.QueryAsync(transaction,
            "SELECT table_name, schema_version FROM ducklake_inlined_data_tables WHERE table_id = $1 ORDER BY schema_version",
            r => (Name: r.GetString(0), SchemaVersion: r.NullableInt64(1) ?? 0), cancellationToken, tableId);
        List<InlinedRow> rows = [];
        foreach (var inlined in inlinedTables)
        {
            var physical = await PhysicalColumnsAsync(inlined.Name, cancellationToken);
            if (physical.Count == 0) continue;
            var columnIds = await ColumnIdsAtVersionAsync(tableId, inlined.SchemaVersion, cancellationToken);
            var values = physical.Skip(3).Select(c => c.DataType.Equals("bytea", StringComparison.OrdinalIgnoreCase)
                ? $"convert_from({SqlText.Identifier(c.Name)}, 'UTF8')"
                : $"CAST({SqlText.Identifier(c.Name)} AS VARCHAR)").ToList();
            if (values.Count == 0) continue;
            var found = await connection.QueryAsync(transaction,
                $"SELECT row_id, begin_snapshot, {string.Join(", ", values)} FROM {SqlText.Identifier(inlined.Name)} WHERE {CatalogReader.Visible()} ORDER BY row_id",
                r => (RowId: r.GetInt64(0), Begin: r.GetInt64(1), Values: Enumerable.Range(2, r.FieldCount - 2).Select(r.NullableString).ToList()),
                cancellationToken, snapshot);
            foreach (var row in found)
            {
                var byId = new Dictionary<long, string?>();
                for (var i = 0; i < row.Values.Count && i < columnIds.Count; i++) byId[columnIds[i]] = row.Values[i];
                rows.Add(new InlinedRow(inlined.Name, row.RowId, row.Begin, byId));
            }
        }
        return rows;
    }

    /// <summary>Positions deleted from Parquet files through the catalog, per data file id.</summary>
    public async Task<Dictionary<long, List<long>>> DeletedPositionsAsync(long tableId, long snapshot, CancellationToken cancellationToken)
    {
        var name = $"ducklake_inlined_delete_{tableId}";
        if ((await PhysicalColumnsAsync(name, cancellationToken)).Count == 0) return [];
        var rows = await connection.QueryAsync(transaction,
            $"SELECT file_id, row_id FROM {SqlText.Identifier(name)} WHERE begin_snapshot <= $1 ORDER BY file_id, row_id",
            r => (File: r.GetInt64(0), Position: r.GetInt64(1)), cancellationToken, snapshot);
        return rows.GroupBy(r => r.File).ToDictionary(g => g.Key, g => g.Select(r => r.Position).ToList());
    }

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
