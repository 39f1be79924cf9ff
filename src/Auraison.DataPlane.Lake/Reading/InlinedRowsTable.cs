using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// Rows kept in the catalog, put into a DuckDB table of their text values through the appender and read back cast to
/// the columns' types. Unlike a VALUES list, a flush of many thousand rows never becomes SQL text for DuckDB to parse
/// (that parse once held hundreds of MiB of the process long after).
/// </summary>
public sealed class InlinedRowsTable : IAsyncDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly string _name;

    private InlinedRowsTable(DuckDBConnection connection, string name, string select)
    {
        _connection = connection;
        _name = name;
        Select = select;
    }

    /// <summary>The rows typed as the table's columns (and, when loaded with ids, each row's id and inserting snapshot).</summary>
    public string Select { get; }

    public static async Task<InlinedRowsTable> LoadAsync(DuckDBConnection connection, LakeTable table, IReadOnlyList<InlinedRow> rows, bool withIds,
        CancellationToken cancellationToken)
    {
        var name = "inlined_" + Guid.NewGuid().ToString("N");
        var texts = table.Columns.Select((_, i) => $"c{i.ToString(CultureInfo.InvariantCulture)} VARCHAR");
        await Writing.ParquetStager.ExecuteAsync(connection, $"CREATE TABLE {Identifier(name)} ({string.Join(", ", texts.Concat(["row_id BIGINT", "snapshot_id BIGINT"]))})",
            cancellationToken);
        using (var appender = connection.CreateAppender(name))
            foreach (var row in rows)
            {
                var appended = appender.CreateRow();
                foreach (var column in table.Columns)
                    appended = appended.AppendValue(row.Values.TryGetValue(column.Id, out var value) ? value : column.InitialDefault);
                appended.AppendValue(row.RowId).AppendValue(row.BeginSnapshot).EndRow();
            }
        var columns = table.Columns.Select((c, i) => $"CAST(c{i.ToString(CultureInfo.InvariantCulture)} AS {c.Type.ToDuckDb()}) AS {Identifier(c.Name)}");
        if (withIds)
            columns = columns.Concat([$"row_id AS {Identifier(TableScanSql.RowIdColumn)}", $"snapshot_id AS {Identifier(TableScanSql.SnapshotIdColumn)}"]);
        return new InlinedRowsTable(connection, name, $"SELECT {string.Join(", ", columns)} FROM {Identifier(name)}");
    }

    public async ValueTask DisposeAsync() =>
        await Writing.ParquetStager.ExecuteAsync(_connection, $"DROP TABLE IF EXISTS {Identifier(_name)}", CancellationToken.None);
}
