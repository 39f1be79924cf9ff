using System.Globalization;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Datasets;

/// <summary>The three ways exports talk to their DuckDB: run a statement, read one number, read one column.</summary>
internal static class DuckSql
{
    public static async Task ExecuteAsync(this DuckDBConnection duck, string sql, CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<long> ScalarAsync(this DuckDBConnection duck, string sql, CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The first two columns of every row, as text (null as "").</summary>
    public static async Task<List<(string First, string Second)>> PairsAsync(this DuckDBConnection duck, string sql, CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<(string, string)> rows = [];
        while (await reader.ReadAsync(cancellationToken))
            rows.Add((reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString()!, reader.FieldCount > 1 && !reader.IsDBNull(1) ? reader.GetValue(1).ToString()! : ""));
        return rows;
    }
}
