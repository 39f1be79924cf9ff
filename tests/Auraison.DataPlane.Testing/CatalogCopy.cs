using System.Data.Common;
using System.Globalization;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// Copies the <c>ducklake_*</c> tables of a catalog between PostgreSQL and a DuckDB file, row for row, so the stock
/// CLI (which has no postgres extension here) can read and write a production catalog through a DuckDB copy.
/// Types map as the stock extension maps them: what PostgreSQL has natively stays typed, nested values are text.
/// </summary>
public static class CatalogCopy
{
    private sealed record Column(string Name, string Type);

    /// <summary>
    /// Replaces every <c>ducklake_*</c> table of <paramref name="target"/> with the one of <paramref name="source"/>.
    /// <paramref name="typesOf"/> may name the target type of columns that the mapping cannot recover (nested
    /// values of inlined rows, kept as text in PostgreSQL).
    /// </summary>
    public static async Task CopyAsync(DbConnection source, DbConnection target, bool targetIsPostgres, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? typesOf = null)
    {
        await using var transaction = await target.BeginTransactionAsync(cancellationToken);
        var targetTables = (await TablesAsync(target, transaction, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var sourceTables = await TablesAsync(source, null, cancellationToken);
        foreach (var gone in targetTables.Except(sourceTables))
            await target.ExecuteAsync(transaction, $"DROP TABLE {SqlText.Identifier(gone)}", cancellationToken);
        foreach (var table in sourceTables)
        {
            var columns = await ColumnsAsync(source, null, table, cancellationToken);
            var known = typesOf?.GetValueOrDefault(table);
            var targetColumns = columns.Select(c => c with
            {
                Type = known?.GetValueOrDefault(c.Name) ?? (targetIsPostgres ? PostgresType(c.Type) : DuckDbType(c.Type)),
            }).ToList();
            if (targetTables.Contains(table))
                await target.ExecuteAsync(transaction, $"DELETE FROM {SqlText.Identifier(table)}", cancellationToken);
            else
                await target.ExecuteAsync(transaction,
                    $"CREATE TABLE {SqlText.Identifier(table)} ({string.Join(", ", targetColumns.Select(c => $"{SqlText.Identifier(c.Name)} {c.Type}"))})",
                    cancellationToken);
            var select = string.Join(", ", columns.Zip(targetColumns, (s, t) => IsText(t.Type) && !IsText(s.Type)
                ? $"CAST({SqlText.Identifier(s.Name)} AS VARCHAR)"
                : SqlText.Identifier(s.Name)));
            var rows = await source.QueryAsync(null, $"SELECT {select} FROM {SqlText.Identifier(table)}",
                r => Enumerable.Range(0, r.FieldCount).Select(i => Portable(r.GetValue(i))).ToArray(), cancellationToken);
            var insert = $"INSERT INTO {SqlText.Identifier(table)} VALUES (" +
                         string.Join(", ", targetColumns.Select((c, i) => $"CAST(${i + 1} AS {c.Type})")) + ")";
            foreach (var row in rows) await target.ExecuteAsync(transaction, insert, cancellationToken, row);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static Task<List<string>> TablesAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        connection.QueryAsync(transaction,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ducklake%' ORDER BY table_name",
            r => r.GetString(0), cancellationToken);

    private static Task<List<Column>> ColumnsAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        connection.QueryAsync(transaction,
            """
            SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """,
            r => new Column(r.GetString(0), r.GetString(1).Equals("numeric", StringComparison.OrdinalIgnoreCase) && !r.IsDBNull(2)
                ? $"DECIMAL({r.GetValue(2)}, {r.GetValue(3)})"
                : r.GetString(1)),
            cancellationToken, table);

    // Values go over as text or plain numbers and are cast to the target column's type in the INSERT.
    private static object? Portable(object value) => value switch
    {
        DBNull => null,
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture),
        Guid guid => guid.ToString(),
        System.Numerics.BigInteger big => big.ToString(CultureInfo.InvariantCulture),
        decimal number => number.ToString(CultureInfo.InvariantCulture),
        _ => value,
    };

    private static bool IsText(string type) => type is "VARCHAR" or "TEXT" || type.StartsWith("character varying", StringComparison.OrdinalIgnoreCase)
        || type.Equals("text", StringComparison.OrdinalIgnoreCase);

    /// <summary>The PostgreSQL type for a DuckDB column type, as the stock extension (and the engine) choose it for inlined rows.</summary>
    private static string PostgresType(string duckDbType)
    {
        try
        {
            return PostgresCatalogDatabase.InlinedType(LakeType.ParseDuckDb(duckDbType));
        }
        catch (LakeSchemaException)
        {
            return "VARCHAR";
        }
    }

    /// <summary>The DuckDB type for a PostgreSQL column type.</summary>
    private static string DuckDbType(string postgresType) => postgresType.ToLowerInvariant() switch
    {
        "bigint" => "BIGINT",
        "integer" => "INTEGER",
        "smallint" => "SMALLINT",
        "double precision" => "DOUBLE",
        "real" => "FLOAT",
        "boolean" => "BOOLEAN",
        "uuid" => "UUID",
        "date" => "DATE",
        "time without time zone" => "TIME",
        "interval" => "INTERVAL",
        "bytea" => "BLOB",
        "timestamp with time zone" => "TIMESTAMP WITH TIME ZONE",
        "timestamp without time zone" => "TIMESTAMP",
        var other when other.StartsWith("decimal", StringComparison.Ordinal) => other.ToUpperInvariant(),
        _ => "VARCHAR",
    };
}
