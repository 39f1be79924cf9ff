using System.Data.Common;
using System.Globalization;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>
/// Reads what the catalog says is visible at a snapshot: a row is visible at S when
/// <c>begin_snapshot &lt;= S</c> and (<c>end_snapshot</c> is NULL or <c>S &lt; end_snapshot</c>).
/// </summary>
public sealed class CatalogReader(DbConnection connection, DbTransaction? transaction, string dataPath)
{
    private const string SnapshotColumns = "snapshot_id, snapshot_time, schema_version, next_catalog_id, next_file_id";

    public static string Visible(string alias = "") =>
        $"{alias}begin_snapshot <= $1 AND ({alias}end_snapshot IS NULL OR {alias}end_snapshot > $1)";

    public async Task<SnapshotInfo> LatestAsync(CancellationToken cancellationToken) =>
        (await connection.QueryAsync(transaction,
            $"SELECT {SnapshotColumns} FROM ducklake_snapshot ORDER BY snapshot_id DESC LIMIT 1", ReadSnapshot, cancellationToken)).Single();

    public async Task<SnapshotInfo> ResolveAsync(SnapshotSelector selector, CancellationToken cancellationToken)
    {
        switch (selector)
        {
            case SnapshotSelector.SnapshotById byId:
                return (await connection.QueryAsync(transaction, $"SELECT {SnapshotColumns} FROM ducklake_snapshot WHERE snapshot_id = $1",
                        ReadSnapshot, cancellationToken, byId.Id)).SingleOrDefault()
                    ?? throw new SnapshotNotFoundException($"Lake snapshot {byId.Id} does not exist (never committed, or expired).");
            case SnapshotSelector.SnapshotAsOf asOf:
                return (await connection.QueryAsync(transaction,
                        $"SELECT {SnapshotColumns} FROM ducklake_snapshot WHERE snapshot_time <= CAST($1 AS TIMESTAMP WITH TIME ZONE) ORDER BY snapshot_id DESC LIMIT 1",
                        ReadSnapshot, cancellationToken, Timestamp(asOf.Time))).SingleOrDefault()
                    ?? throw new SnapshotNotFoundException($"No lake snapshot existed at {asOf.Time:O}.");
            default:
                return await LatestAsync(cancellationToken);
        }
    }

    public Task<List<SnapshotRecord>> SnapshotsAsync(long fromExclusive, int limit, CancellationToken cancellationToken) =>
        connection.QueryAsync(transaction,
            $"""
             SELECT s.{SnapshotColumns.Replace(", ", ", s.", StringComparison.Ordinal)}, c.changes_made, c.author, c.commit_message, c.commit_extra_info
             FROM ducklake_snapshot s LEFT JOIN ducklake_snapshot_changes c ON c.snapshot_id = s.snapshot_id
             WHERE s.snapshot_id > $1 ORDER BY s.snapshot_id LIMIT $2
             """,
            r => new SnapshotRecord(ReadSnapshot(r), r.NullableString(5) ?? "", r.NullableString(6), r.NullableString(7)) { ExtraInfo = r.NullableString(8) },
            cancellationToken, fromExclusive, (long)limit);

    /// <summary>When each of these snapshots was committed.</summary>
    public async Task<Dictionary<long, DateTimeOffset>> SnapshotTimesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        ids.Count == 0
            ? []
            : (await connection.QueryAsync(transaction,
                $"SELECT snapshot_id, CAST(snapshot_time AS VARCHAR) FROM ducklake_snapshot WHERE snapshot_id IN ({ListOf(ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})",
                r => (Id: r.GetInt64(0), At: DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture)), cancellationToken))
            .ToDictionary(r => r.Id, r => r.At);

    /// <summary>
    /// Bytes of the live data files whose first partition key is the column of that name with that value (one
    /// query, without reading the tables).
    /// </summary>
    public async Task<long> LiveBytesInPartitionAsync(string column, string value, CancellationToken cancellationToken) =>
        await connection.ScalarAsync<long?>(transaction,
            """
            SELECT CAST(sum(d.file_size_bytes) AS BIGINT) FROM ducklake_data_file d
            JOIN ducklake_file_partition_value v ON v.data_file_id = d.data_file_id AND v.partition_key_index = 0
            JOIN ducklake_partition_column k ON k.partition_id = d.partition_id AND k.table_id = d.table_id AND k.partition_key_index = 0
            JOIN ducklake_column c ON c.table_id = k.table_id AND c.column_id = k.column_id AND c.end_snapshot IS NULL AND c.column_name = $2
            WHERE d.end_snapshot IS NULL AND v.partition_value = $1
            """, cancellationToken, value, column) ?? 0;

    public Task<List<LakeSchema>> SchemasAsync(long snapshot, CancellationToken cancellationToken) =>
        connection.QueryAsync(transaction,
            $"SELECT schema_id, schema_uuid, schema_name, path, path_is_relative FROM ducklake_schema WHERE {Visible()} ORDER BY schema_id",
            r => new LakeSchema(r.GetInt64(0), ReadGuid(r, 1), r.GetString(2),
                DataPaths.Resolve(dataPath, r.NullableString(3) ?? "", r.NullableBoolean(4) ?? true)),
            cancellationToken, snapshot);

    /// <summary>
    /// Every table visible at the snapshot, with columns and partitioning; or only the one with <paramref name="tableId"/>,
    /// or only those named in <paramref name="qualifiedNames"/> (<c>schema.table</c>, lower case), read without the others.
    /// </summary>
    public async Task<List<LakeTable>> TablesAsync(long snapshot, CancellationToken cancellationToken, long? tableId = null,
        IReadOnlyCollection<string>? qualifiedNames = null, IReadOnlyCollection<long>? tableIds = null)
    {
        var filter = tableId is not null ? " AND t.table_id = $2"
            : qualifiedNames is not null ? $" AND lower(s.schema_name) || '.' || lower(t.table_name) IN ({ListOf(qualifiedNames.Select(SqlText.Literal))})"
            : "";
        if (tableIds is not null) filter += OfTables("t.table_id", [.. tableIds]);
        object?[] args = tableId is null ? [snapshot] : [snapshot, tableId];
        var rows = await connection.QueryAsync(transaction,
            $"""
             SELECT t.table_id, t.table_uuid, t.schema_id, s.schema_name, s.path, s.path_is_relative, t.table_name, t.path, t.path_is_relative
             FROM ducklake_table t JOIN ducklake_schema s ON s.schema_id = t.schema_id AND {Visible("s.")}
             WHERE {Visible("t.")}{filter}
             ORDER BY s.schema_name, t.table_name
             """,
            r => (Id: r.GetInt64(0), Uuid: ReadGuid(r, 1), SchemaId: r.GetInt64(2), Schema: r.GetString(3),
                SchemaDirectory: DataPaths.Resolve(dataPath, r.NullableString(4) ?? "", r.NullableBoolean(5) ?? true),
                Name: r.GetString(6), Path: r.NullableString(7) ?? "", Relative: r.NullableBoolean(8) ?? true),
            cancellationToken, args);
        var ids = filter.Length == 0 ? null : rows.Select(r => r.Id).ToList();
        var columns = await ColumnsAsync(snapshot, ids, cancellationToken);
        var partitions = await PartitioningAsync(snapshot, ids, cancellationToken);
        var tags = await TagsAsync(snapshot, cancellationToken, tableId);
        return rows.Select(t => new LakeTable(t.Id, t.Uuid, t.SchemaId, t.Schema, t.Name,
                DataPaths.Resolve(t.SchemaDirectory, t.Path, t.Relative),
                columns.TryGetValue(t.Id, out var c) ? c : [],
                partitions.TryGetValue(t.Id, out var p) ? p.PartitionId : null,
                partitions.TryGetValue(t.Id, out var keys) ? keys.Keys : [])
            {
                Tags = tags.TryGetValue(t.Id, out var own) ? own : new Dictionary<string, string>(),
            })
            .ToList();
    }

    public async Task<LakeTable?> TableAsync(long snapshot, long tableId, CancellationToken cancellationToken) =>
        (await TablesAsync(snapshot, cancellationToken, tableId)).SingleOrDefault();

    /// <summary>Tags of schemas, tables and views visible at the snapshot (of one object when given): object id → key → value.</summary>
    public async Task<Dictionary<long, Dictionary<string, string>>> TagsAsync(long snapshot, CancellationToken cancellationToken, long? objectId = null)
    {
        object?[] args = objectId is null ? [snapshot] : [snapshot, objectId];
        var rows = await connection.QueryAsync(transaction,
            $"SELECT object_id, key, value FROM ducklake_tag WHERE {Visible()}{(objectId is null ? "" : " AND object_id = $2")}",
            r => (Object: r.GetInt64(0), Key: r.GetString(1), Value: r.NullableString(2) ?? ""), cancellationToken, args);
        return rows.GroupBy(r => r.Object).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal));
    }

    /// <summary>One table by name (case-insensitive), without loading every other table's columns.</summary>
    public async Task<LakeTable?> TableByNameAsync(long snapshot, string schema, string name, CancellationToken cancellationToken)
    {
        var id = await connection.ScalarAsync<long?>(transaction,
            $"SELECT t.table_id FROM ducklake_table t JOIN ducklake_schema s ON s.schema_id = t.schema_id AND {Visible("s.")} " +
            $"WHERE {Visible("t.")} AND lower(s.schema_name) = lower($2) AND lower(t.table_name) = lower($3)",
            cancellationToken, snapshot, schema, name);
        return id is null ? null : await TableAsync(snapshot, id.Value, cancellationToken);
    }

    /// <summary>Top-level columns per table, nested children attached, in column order.</summary>
    public async Task<Dictionary<long, IReadOnlyList<LakeColumn>>> ColumnsAsync(long snapshot, IReadOnlyCollection<long>? tableIds,
        CancellationToken cancellationToken)
    {
        var filter = OfTables("table_id", tableIds);
        var rows = await connection.QueryAsync(transaction,
            $"""
             SELECT table_id, column_id, column_name, column_type, column_order, initial_default, parent_column
             FROM ducklake_column WHERE {Visible()}{filter} ORDER BY table_id, column_order, column_id
             """,
            r => (Table: r.GetInt64(0), Id: r.GetInt64(1), Name: r.GetString(2), Type: r.GetString(3), Order: r.NullableInt64(4) ?? 0,
                Default: r.NullableString(5), Parent: r.NullableInt64(6)),
            cancellationToken, snapshot);
        var result = new Dictionary<long, IReadOnlyList<LakeColumn>>();
        foreach (var table in rows.GroupBy(r => r.Table))
        {
            var children = table.Where(r => r.Parent is not null).ToLookup(r => r.Parent!.Value);
            LakeColumn Build((long Table, long Id, string Name, string Type, long Order, string? Default, long? Parent) row) =>
                new(row.Id, row.Name, row.Type, row.Order, row.Default, children[row.Id].Select(Build).ToList());
            result[table.Key] = table.Where(r => r.Parent is null).Select(Build).ToList();
        }
        return result;
    }

    private async Task<Dictionary<long, (long PartitionId, IReadOnlyList<PartitionKey> Keys)>> PartitioningAsync(
        long snapshot, IReadOnlyCollection<long>? tableIds, CancellationToken cancellationToken)
    {
        var filter = OfTables("i.table_id", tableIds);
        var rows = await connection.QueryAsync(transaction,
            $"""
             SELECT i.table_id, i.partition_id, c.column_id, c.transform
             FROM ducklake_partition_info i
             JOIN ducklake_partition_column c ON c.partition_id = i.partition_id AND c.table_id = i.table_id
             WHERE {Visible("i.")}{filter} ORDER BY i.table_id, c.partition_key_index
             """,
            r => (Table: r.GetInt64(0), Partition: r.GetInt64(1), Column: r.GetInt64(2), Transform: r.GetString(3)),
            cancellationToken, snapshot);
        return rows.GroupBy(r => r.Table).ToDictionary(g => g.Key,
            g => (g.First().Partition, (IReadOnlyList<PartitionKey>)g.Select(r => new PartitionKey(r.Column, ParseTransform(r.Transform))).ToList()));
    }

    /// <summary>
    /// Visible data files of the given tables (only the one with <paramref name="tableId"/> when set; only those written
    /// after <paramref name="writtenAfter"/> when set, whose ids start at its next file id: a flushed file begins at a
    /// snapshot before it was written), each with its visible delete file.
    /// </summary>
    public async Task<List<DataFileInfo>> DataFilesAsync(long snapshot, IReadOnlyDictionary<long, LakeTable> tables,
        CancellationToken cancellationToken, long? tableId = null, SnapshotInfo? writtenAfter = null)
    {
        var filter = (tableId is null ? OfTables("d.table_id", [.. tables.Keys]) : " AND d.table_id = $2")
                     + (writtenAfter is { } after ? $" AND d.data_file_id >= {after.NextFileId.ToString(CultureInfo.InvariantCulture)}" : "");
        object?[] args = tableId is null ? [snapshot] : [snapshot, tableId];
        var files = await connection.QueryAsync(transaction,
            $"""
             SELECT d.data_file_id, d.table_id, d.begin_snapshot, d.path, d.path_is_relative, d.record_count, d.file_size_bytes,
                    d.row_id_start, d.partition_id, f.delete_file_id, f.path, f.path_is_relative, f.delete_count, d.partial_max, f.partial_max
             FROM ducklake_data_file d
             LEFT JOIN ducklake_delete_file f ON f.data_file_id = d.data_file_id AND {Visible("f.")}
             WHERE {Visible("d.")}{filter}
             ORDER BY d.table_id, d.data_file_id
             """,
            r =>
            {
                var table = tables.TryGetValue(r.GetInt64(1), out var t) ? t.Directory : dataPath;
                DeleteFileInfo? deletes = r.IsDBNull(9)
                    ? null
                    : new DeleteFileInfo(r.GetInt64(9), DataPaths.Resolve(table, r.GetString(10), r.NullableBoolean(11) ?? true), r.NullableInt64(12) ?? 0,
                        r.NullableInt64(14));
                return new DataFileInfo(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2),
                    DataPaths.Resolve(table, r.GetString(3), r.NullableBoolean(4) ?? true),
                    r.NullableInt64(5) ?? 0, r.NullableInt64(6) ?? 0, r.NullableInt64(7) ?? 0, r.NullableInt64(8), deletes)
                    { PartialMax = r.NullableInt64(13) };
            },
            cancellationToken, args);
        var values = (await connection.QueryAsync(transaction,
                $"""
                 SELECT v.data_file_id, v.partition_key_index, v.partition_value FROM ducklake_file_partition_value v
                 JOIN ducklake_data_file d ON d.data_file_id = v.data_file_id
                 WHERE {Visible("d.")}{filter} ORDER BY v.data_file_id, v.partition_key_index
                 """,
                r => (File: r.GetInt64(0), Value: r.NullableString(2)), cancellationToken, args))
            .GroupBy(v => v.File).ToDictionary(g => g.Key, g => (IReadOnlyList<string?>)g.Select(v => v.Value).ToList());
        // Files of tables not visible at the snapshot (dropped) are not part of it.
        return files.Where(f => tables.ContainsKey(f.TableId))
            .Select(f => values.TryGetValue(f.Id, out var v) ? f with { PartitionValues = v } : f).ToList();
    }

    /// <summary>
    /// Whether commits after snapshot <paramref name="after"/> up to <paramref name="upTo"/> ended a data file of the
    /// tables or gave one a delete file: whether a reader of their files at <paramref name="after"/> misses more than
    /// the files added since.
    /// </summary>
    public async Task<bool> FilesEndedOrDeletedFromAsync(IReadOnlyCollection<long> tableIds, long after, long upTo, CancellationToken cancellationToken)
    {
        var tables = OfTables("table_id", tableIds);
        return await connection.ScalarAsync<long>(transaction,
            $"""
             SELECT (SELECT count(*) FROM ducklake_data_file WHERE end_snapshot > $1 AND end_snapshot <= $2{tables})
                  + (SELECT count(*) FROM ducklake_delete_file WHERE begin_snapshot > $1 AND begin_snapshot <= $2{tables})
             """, cancellationToken, after, upTo) > 0;
    }

    /// <summary>The statistics of these columns (leaf column ids) in each data file of the table visible at the snapshot.</summary>
    public async Task<List<FileColumnStats>> FileColumnStatsAsync(long snapshot, long tableId, IReadOnlyCollection<long> columnIds,
        CancellationToken cancellationToken) =>
        await connection.QueryAsync(transaction,
            $"""
             SELECT s.data_file_id, s.column_id, s.min_value, s.max_value, s.contains_nan, s.extra_stats
             FROM ducklake_file_column_stats s JOIN ducklake_data_file d ON d.data_file_id = s.data_file_id
             WHERE {Visible("d.")} AND d.table_id = $2{OfTables("s.column_id", columnIds)}
             """,
            r => new FileColumnStats(r.GetInt64(0), r.GetInt64(1), r.NullableString(2), r.NullableString(3), r.NullableBoolean(4), r.NullableString(5)),
            cancellationToken, snapshot, tableId);

    // Ids are numbers, so they go into the SQL text; an empty list matches nothing.
    private static string OfTables(string column, IReadOnlyCollection<long>? tableIds) => tableIds is null ? ""
        : tableIds.Count == 0 ? " AND 1 = 0"
        : $" AND {column} IN ({ListOf(tableIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";

    private static string ListOf(IEnumerable<string> items) => string.Join(", ", items.DefaultIfEmpty("NULL"));

    public static string Timestamp(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture);

    public static PartitionTransform ParseTransform(string transform) => transform switch
    {
        "identity" => PartitionTransform.Identity,
        "year" => PartitionTransform.Year,
        "month" => PartitionTransform.Month,
        "day" => PartitionTransform.Day,
        "hour" => PartitionTransform.Hour,
        _ => throw new NotSupportedException($"Partition transform '{transform}' is not supported by this engine."),
    };

    private static SnapshotInfo ReadSnapshot(DbDataReader r) => new(
        r.GetInt64(0), ReadTime(r.GetValue(1)), r.NullableInt64(2) ?? 0, r.NullableInt64(3) ?? 0, r.NullableInt64(4) ?? 0);

    private static DateTimeOffset ReadTime(object value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : time.Kind)),
        _ => DateTimeOffset.Parse(Convert.ToString(value, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture),
    };

    private static Guid ReadGuid(DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        Guid guid => guid,
        var other => Guid.Parse(Convert.ToString(other, CultureInfo.InvariantCulture)!),
    };
}
