using System.Collections;
using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// Writes rows to Parquet the way the stock extension does: <c>field_id = column_id</c> on every field, zstd, one
/// file per partition (Hive-style directories), and DuckDB's own statistics of each file (<c>RETURN_STATS</c>).
/// Geometry columns are WKB with Parquet's geometry type and GeoParquet's <c>geo</c> metadata both, so GeoParquet
/// readers that know only one of them read the files as geometry.
/// </summary>
public static class ParquetStager
{
    /// <summary>
    /// Stages the rows of <paramref name="source"/> (a DuckDB SELECT on <paramref name="work"/>) for the table.
    /// Source columns are matched to table columns by name and cast to their types; missing ones are NULL.
    /// <paramref name="constants"/> names columns whose value is the same in every row (a string, or a
    /// <see cref="DateTimeOffset"/> for temporal columns): when they hold every partition key, the one partition is
    /// known up front and the rows go straight to their file, without a pass to find the partitions.
    /// <paramref name="internalColumns"/> are columns of the source the files keep under the extension's internal
    /// names and field ids (<see cref="TableScanSql.RowIdColumn"/>, <see cref="TableScanSql.SnapshotIdColumn"/>): rows
    /// that carry their own ids and the snapshots that inserted them (rows flushed from the catalog, merged files).
    /// </summary>
    public static async Task<IReadOnlyList<StagedFile>> WriteAsync(DuckDBConnection work, LakeTable table, string source,
        string stagingDirectory, CancellationToken cancellationToken, IReadOnlyDictionary<string, object>? constants = null,
        IReadOnlyList<string>? internalColumns = null)
    {
        Directory.CreateDirectory(stagingDirectory);
        internalColumns ??= [];
        var select = await SelectListAsync(work, table, source, internalColumns, cancellationToken);
        var keys = PartitionExpressions(table);
        if (KnownPartition(table, constants) is { } known)
        {
            var file = await CopyAsync(work, table, $"SELECT {select} FROM ({source}) AS src", stagingDirectory, HiveDirectories(keys, known), known,
                cancellationToken, internalColumns);
            return file is null ? [] : [file];
        }

        var stage = Identifier("stage_" + Guid.NewGuid().ToString("N"));
        await ExecuteAsync(work, $"CREATE TEMP TABLE {stage} AS SELECT {select} FROM ({source}) AS src", cancellationToken);
        try
        {
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
                    HiveDirectories(keys, values), values, cancellationToken, internalColumns);
                if (file is not null) files.Add(file);
            }
            return files;
        }
        finally
        {
            await ExecuteAsync(work, $"DROP TABLE IF EXISTS {stage}", CancellationToken.None);
        }
    }

    /// <summary>
    /// The statistics the writer records for these rows, as for a file (<see cref="CopyAsync"/>), for rows that get
    /// no file of their own (inlined in the catalog): one encoding of values for both.
    /// </summary>
    public static async Task<IReadOnlyList<ColumnStats>> StatsAsync(DuckDBConnection work, LakeTable table, string source, string stagingDirectory,
        CancellationToken cancellationToken)
    {
        var select = await SelectListAsync(work, table, source, [], cancellationToken);
        var file = await CopyAsync(work, table, $"SELECT {select} FROM ({source}) AS src", stagingDirectory, "", [], cancellationToken);
        if (file is null) return [];
        File.Delete(file.LocalPath);
        return file.Columns;
    }

    /// <summary>The table's columns from the source's columns of the same name, cast to their types; missing ones NULL.</summary>
    private static async Task<string> SelectListAsync(DuckDBConnection work, LakeTable table, string source, IReadOnlyList<string> internalColumns,
        CancellationToken cancellationToken)
    {
        var sourceColumns = await ColumnNamesAsync(work, source, cancellationToken);
        var unknown = sourceColumns.Where(c => table.FindColumn(c) is null && !internalColumns.Contains(c)).ToList();
        if (unknown.Count > 0)
            throw new LakeSchemaException($"Table {table.QualifiedName} has no column {string.Join(", ", unknown.Select(u => $"'{u}'"))}.");
        return string.Join(", ", table.Columns.Select(c => sourceColumns.Contains(c.Name, StringComparer.OrdinalIgnoreCase)
                ? $"CAST(src.{Identifier(sourceColumns.First(s => string.Equals(s, c.Name, StringComparison.OrdinalIgnoreCase)))} AS {c.Type.ToDuckDb()}) AS {Identifier(c.Name)}"
                : $"CAST(NULL AS {c.Type.ToDuckDb()}) AS {Identifier(c.Name)}")
            .Concat(internalColumns.Select(name => $"CAST(src.{Identifier(name)} AS BIGINT) AS {Identifier(name)}")));
    }

    /// <summary>The partition values, when every partition key is a column of constant value.</summary>
    private static List<string?>? KnownPartition(LakeTable table, IReadOnlyDictionary<string, object>? constants)
    {
        if (constants is null || table.Partitioning.Count == 0) return null;
        List<string?> values = [];
        foreach (var key in table.Partitioning)
        {
            var column = table.AllColumns.First(c => c.Id == key.ColumnId);
            if (!constants.TryGetValue(column.Name, out var value)) return null;
            values.Add((key.Transform, value) switch
            {
                (PartitionTransform.Identity, string text) => text,
                (PartitionTransform.Year, DateTimeOffset time) => time.UtcDateTime.Year.ToString(CultureInfo.InvariantCulture),
                (PartitionTransform.Month, DateTimeOffset time) => time.UtcDateTime.Month.ToString(CultureInfo.InvariantCulture),
                (PartitionTransform.Day, DateTimeOffset time) => time.UtcDateTime.Day.ToString(CultureInfo.InvariantCulture),
                (PartitionTransform.Hour, DateTimeOffset time) => time.UtcDateTime.Hour.ToString(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"Constant of column '{column.Name}' does not fit its {key.Transform} partition key.", nameof(constants)),
            });
        }
        return values;
    }

    /// <summary>
    /// Writes one query's rows to one staged file; null when the query has no rows. The query's
    /// <paramref name="internalColumns"/> are kept under the field ids the extension reads them by.
    /// </summary>
    public static async Task<StagedFile?> CopyAsync(DuckDBConnection work, LakeTable table, string query, string stagingDirectory,
        string relativeDirectory, IReadOnlyList<string?> partitionValues, CancellationToken cancellationToken, IReadOnlyList<string>? internalColumns = null)
    {
        var name = $"ducklake-{Guid.CreateVersion7()}.parquet";
        var local = Path.Combine(stagingDirectory, name);
        internalColumns ??= [];
        var fieldIds = "{" + string.Join(", ", table.Columns.Select(FieldIdEntry)
            .Concat(internalColumns.Select(c => $"{Literal(c)}: {TableScanSql.InternalFieldId(c).ToString(CultureInfo.InvariantCulture)}"))) + "}";
        var copied = await QueryAsync(work,
            $"COPY ({query}) TO {Literal(local)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS {fieldIds}, GEOPARQUET_VERSION 'BOTH', RETURN_STATS)",
            r => (Count: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), Size: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture),
                Footer: Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture), Stats: (IDictionary)r.GetValue(4)),
            cancellationToken);
        var result = copied.Single();
        if (result.Count == 0)
        {
            File.Delete(local);
            return null;
        }
        var file = new StagedFile(local, relativeDirectory + name, result.Count, result.Size, result.Footer,
            ReadStats(table, result.Stats), partitionValues);
        if (internalColumns.Contains(TableScanSql.RowIdColumn)) file = file with { RowIdStart = Range(result.Stats, TableScanSql.RowIdColumn).Min };
        if (internalColumns.Contains(TableScanSql.SnapshotIdColumn)) file = file with { Snapshots = Range(result.Stats, TableScanSql.SnapshotIdColumn) };
        return file;
    }

    private static (long Min, long Max) Range(IDictionary stats, string column)
    {
        var values = (IDictionary)stats[Identifier(column)]!;
        return (long.Parse((string)values["min"]!, CultureInfo.InvariantCulture), long.Parse((string)values["max"]!, CultureInfo.InvariantCulture));
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
            var type = table.AllColumns.First(c => c.Id == columnId).TypeName;
            bool? nan = Get("has_nan") is { } n ? n == "true" : type is "float32" or "float64" ? false : null;
            var extra = type == "geometry" ? GeometryStats.FromCopyStats(values)?.ToJson() : null;
            result.Add(new ColumnStats(columnId, size, count - nulls, nulls, Get("min"), Get("max"), nan, extra));
        }
        return result.OrderBy(c => c.ColumnId).ToList();
    }

    private static string FieldIdEntry(LakeColumn column) => column.Children.Count == 0
        ? $"{Literal(column.Name)}: {column.Id.ToString(CultureInfo.InvariantCulture)}"
        : $"{Literal(column.Name)}: {{'__duckdb_field_id': {column.Id.ToString(CultureInfo.InvariantCulture)}, " +
          string.Join(", ", column.Children.Select(FieldIdEntry)) + "}";

    private sealed record KeyExpression(string DirectoryKey, string Expression);

    private static List<KeyExpression> PartitionExpressions(LakeTable table) =>
        table.Partitioning.Zip(table.PartitionDirectoryKeys, (k, directoryKey) =>
        {
            var column = Identifier(table.AllColumns.First(c => c.Id == k.ColumnId).Name);
            return new KeyExpression(directoryKey, k.Transform == PartitionTransform.Identity
                ? $"CAST({column} AS VARCHAR)"
                : $"CAST({k.Transform.ToString().ToLowerInvariant()}({column}) AS VARCHAR)");
        }).ToList();

    private static string HiveDirectories(IReadOnlyList<KeyExpression> keys, IReadOnlyList<string?> values) =>
        string.Concat(keys.Select((k, i) => DataPaths.HiveDirectory(k.DirectoryKey, values[i])));

    internal static async Task<List<string>> ColumnNamesAsync(DuckDBConnection work, string source, CancellationToken cancellationToken)
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
