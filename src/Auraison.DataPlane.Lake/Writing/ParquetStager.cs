using System.Collections;
using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// Writes rows to Parquet the way the stock extension does: <c>field_id = column_id</c> on every field, zstd, one
/// file per partition (Hive-style directories), and DuckDB's own statistics of each file (<c>RETURN_STATS</c>).
/// </summary>
public static class ParquetStager
{
    public const string NullPartitionDirectoryValue = "__HIVE_DEFAULT_PARTITION__";

    /// <summary>
    /// Stages the rows of <paramref name="source"/> (a DuckDB SELECT on <paramref name="work"/>) for the table.
    /// Source columns are matched to table columns by name and cast to their types; missing ones are NULL.
    /// </summary>
    public static async Task<IReadOnlyList<StagedFile>> WriteAsync(DuckDBConnection work, LakeTable table, string source,
        string stagingDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(stagingDirectory);
        var sourceColumns = await ColumnNamesAsync(work, source, cancellationToken);
        var unknown = sourceColumns.Where(c => table.FindColumn(c) is null).ToList();
        if (unknown.Count > 0)
            throw new LakeSchemaException($"Table {table.QualifiedName} has no column {string.Join(", ", unknown.Select(u => $"'{u}'"))}.");

        var stage = Identifier("stage_" + Guid.NewGuid().ToString("N"));
        var select = string.Join(", ", table.Columns.Select(c => sourceColumns.Contains(c.Name, StringComparer.OrdinalIgnoreCase)
            ? $"CAST(src.{Identifier(sourceColumns.First(s => string.Equals(s, c.Name, StringComparison.OrdinalIgnoreCase)))} AS {c.Type.ToDuckDb()}) AS {Identifier(c.Name)}"
            : $"CAST(NULL AS {c.Type.ToDuckDb()}) AS {Identifier(c.Name)}"));
        await ExecuteAsync(work, $"CREATE TEMP TABLE {stage} AS SELECT {select} FROM ({source}) AS src", cancellationToken);
        try
        {
            var keys = PartitionExpressions(table);
            var groups = keys.Count == 0
                ? [[]]
                : await QueryAsync(work, $"SELECT DISTINCT {string.Join(", ", keys.Select(k => k.Expression))} FROM {stage}",
                    r => Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : r.GetString(i)).ToList(), cancellationToken);
            List<StagedFile> files = [];
            foreach (var values in groups)
            {
                var where = keys.Count == 0
                    ? ""
                    : " WHERE " + string.Join(" AND ", keys.Select((k, i) => $"{k.Expression} IS NOT DISTINCT FROM {(values[i] is null ? "NULL" : Literal(values[i]!))}"));
                var file = await CopyAsync(work, table, $"SELECT * FROM {stage}{where}", stagingDirectory,
                    HiveDirectories(keys, values), values, cancellationToken);
                if (file is not null) files.Add(file);
            }
            return files;
        }
        finally
        {
            await ExecuteAsync(work, $"DROP TABLE IF EXISTS {stage}", CancellationToken.None);
        }
    }

    /// <summary>Writes one query's rows to one staged file; null when the query has no rows.</summary>
    public static async Task<StagedFile?> CopyAsync(DuckDBConnection work, LakeTable table, string query, string stagingDirectory,
        string relativeDirectory, IReadOnlyList<string?> partitionValues, CancellationToken cancellationToken, string? extraFieldIds = null)
    {
        var name = $"ducklake-{Guid.CreateVersion7()}.parquet";
        var local = Path.Combine(stagingDirectory, name);
        var fieldIds = "{" + string.Join(", ", table.Columns.Select(FieldIdEntry).Append(extraFieldIds).OfType<string>()) + "}";
        var copied = await QueryAsync(work,
            $"COPY ({query}) TO {Literal(local)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS {fieldIds}, RETURN_STATS)",
            r => (Count: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), Size: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture),
                Footer: Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture), Stats: (IDictionary)r.GetValue(4)),
            cancellationToken);
        var result = copied.Single();
        if (result.Count == 0)
        {
            File.Delete(local);
            return null;
        }
        return new StagedFile(local, relativeDirectory + name, result.Count, result.Size, result.Footer,
            ReadStats(table, result.Stats), partitionValues);
    }

    private static List<ColumnStats> ReadStats(LakeTable table, IDictionary stats)
    {
        var leaves = new Dictionary<string, long>(StringComparer.Ordinal);
        void Walk(LakeColumn column, string path)
        {
            if (column.Children.Count == 0) leaves[path] = column.Id;
            foreach (var child in column.Children) Walk(child, path + "." + Identifier(child.Name));
        }
        foreach (var column in table.Columns) Walk(column, Identifier(column.Name));

        List<ColumnStats> result = [];
        foreach (DictionaryEntry entry in stats)
        {
            if (entry.Key is not string path || !leaves.TryGetValue(path, out var columnId)) continue;
            var values = (IDictionary)entry.Value!;
            string? Get(string key) => values.Contains(key) ? values[key] as string : null;
            var nulls = long.Parse(Get("null_count") ?? "0", CultureInfo.InvariantCulture);
            var count = long.Parse(Get("num_values") ?? "0", CultureInfo.InvariantCulture);
            var size = Get("column_size_bytes") is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : (long?)null;
            bool? nan = Get("has_nan") is { } n ? n == "true" : table.AllColumns.First(c => c.Id == columnId).TypeName is "float32" or "float64" ? false : null;
            result.Add(new ColumnStats(columnId, size, count - nulls, nulls, Get("min"), Get("max"), nan));
        }
        return result.OrderBy(c => c.ColumnId).ToList();
    }

    private static string FieldIdEntry(LakeColumn column) => column.Children.Count == 0
        ? $"{Literal(column.Name)}: {column.Id.ToString(CultureInfo.InvariantCulture)}"
        : $"{Literal(column.Name)}: {{'__duckdb_field_id': {column.Id.ToString(CultureInfo.InvariantCulture)}, " +
          string.Join(", ", column.Children.Select(FieldIdEntry)) + "}";

    private sealed record KeyExpression(string DirectoryKey, string Expression);

    private static List<KeyExpression> PartitionExpressions(LakeTable table)
    {
        var keys = table.Partitioning.Select(k =>
        {
            var column = table.AllColumns.First(c => c.Id == k.ColumnId);
            var transform = k.Transform.ToString().ToLowerInvariant();
            var expression = k.Transform == PartitionTransform.Identity
                ? $"CAST({Identifier(column.Name)} AS VARCHAR)"
                : $"CAST({transform}({Identifier(column.Name)}) AS VARCHAR)";
            return (Key: k.Transform == PartitionTransform.Identity ? column.Name : transform, Column: column.Name, Expression: expression);
        }).ToList();
        // A directory key that would repeat gets the column name appended, as the stock extension does.
        return keys.Select(k => new KeyExpression(
            keys.Count(o => o.Key == k.Key) > 1 ? $"{k.Key}_{k.Column}" : k.Key, k.Expression)).ToList();
    }

    private static string HiveDirectories(IReadOnlyList<KeyExpression> keys, IReadOnlyList<string?> values) =>
        string.Concat(keys.Select((k, i) => $"{Uri.EscapeDataString(k.DirectoryKey)}={(values[i] is null ? NullPartitionDirectoryValue : Uri.EscapeDataString(values[i]!))}/"));

    private static async Task<List<string>> ColumnNamesAsync(DuckDBConnection work, string source, CancellationToken cancellationToken)
    {
        await using var command = work.CreateCommand();
        command.CommandText = $"SELECT * FROM ({source}) AS src LIMIT 0";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    internal static async Task ExecuteAsync(DuckDBConnection work, string sql, CancellationToken cancellationToken)
    {
        await using var command = work.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<List<T>> QueryAsync<T>(DuckDBConnection work, string sql, Func<DuckDBDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var command = work.CreateCommand();
        command.CommandText = sql;
        await using var reader = (DuckDBDataReader)await command.ExecuteReaderAsync(cancellationToken);
        List<T> rows = [];
        while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
        return rows;
    }
}
