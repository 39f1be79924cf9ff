using System.Globalization;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Tests.Catalog;
using Auraison.DataPlane.Lake.Tests.Reading;
using Auraison.DataPlane.Lake.Writing;
using Parquet;

namespace Auraison.DataPlane.Lake.Tests.Conformance;

/// <summary>
/// Checks a catalog and its files against the rules of ../shared/ducklake/spec-notes.md: layout, seed rows, counters,
/// changes_made grammar, paths, Parquet field ids and footers (read with Parquet.Net), and statistics against the
/// data. Returns every violation found; the stock extension's fixture lakes pass it too.
/// </summary>
internal sealed class SpecConformance(Lakehouse lake)
{
    private readonly List<string> _violations = [];

    public async Task<IReadOnlyList<string>> CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await CheckLayoutAsync(connection, cancellationToken);
        await CheckSnapshotsAsync(connection, cancellationToken);
        await CheckFilesAsync(connection, cancellationToken);
        await CheckTableStatsAsync(connection, cancellationToken);
        return _violations;
    }

    private void Fail(string violation) => _violations.Add(violation);

    private async Task CheckLayoutAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        foreach (var (table, expected) in SpecTables.Columns)
        {
            var columns = await connection.QueryAsync(null,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                r => r.GetString(0), ct, table);
            if (!columns.SequenceEqual(expected)) Fail($"{table} has columns ({string.Join(", ", columns)})");
        }
        var metadata = (await connection.QueryAsync(null, "SELECT key, value FROM ducklake_metadata WHERE scope IS NULL",
            r => (r.GetString(0), r.GetString(1)), ct)).ToDictionary(m => m.Item1, m => m.Item2);
        if (metadata.GetValueOrDefault("version") != "1.0") Fail("metadata version is not '1.0'");
        if (!(metadata.GetValueOrDefault("data_path")?.EndsWith('/') ?? false)) Fail("data_path does not end with '/'");
        if (metadata.GetValueOrDefault("encrypted") is not ("true" or "false")) Fail("encrypted is neither 'true' nor 'false'");
        if (!metadata.ContainsKey("created_by")) Fail("created_by is missing");
        var main = await connection.QueryAsync(null, "SELECT schema_name, path, path_is_relative, begin_snapshot FROM ducklake_schema WHERE schema_id = 0",
            r => $"{r.GetString(0)}|{r.GetString(1)}|{r.GetBoolean(2)}|{r.GetInt64(3)}", ct);
        if (!main.SequenceEqual(["main|main/|True|0"])) Fail($"schema 0 is {string.Join(",", main)}");
    }

    private async Task CheckSnapshotsAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        var snapshots = await new CatalogReader(connection, null, lake.DataPath).SnapshotsAsync(-1, int.MaxValue, ct);
        for (var i = 1; i < snapshots.Count; i++)
        {
            var (before, after) = (snapshots[i - 1].Snapshot, snapshots[i].Snapshot);
            if (after.SchemaVersion < before.SchemaVersion || after.NextCatalogId < before.NextCatalogId || after.NextFileId < before.NextFileId)
                Fail($"snapshot {after.Id} moves a counter backwards");
        }
        var tableIds = (await connection.QueryAsync(null, "SELECT DISTINCT table_id FROM ducklake_table", r => r.GetInt64(0), ct)).ToHashSet();
        foreach (var record in snapshots)
        {
            try
            {
                foreach (var change in record.Changes)
                    if (change.TableId is { } id && !tableIds.Contains(id)) Fail($"snapshot {record.Snapshot.Id} names unknown table {id}");
            }
            catch (FormatException e)
            {
                Fail($"snapshot {record.Snapshot.Id} changes_made '{record.ChangesMade}' does not parse: {e.Message}");
            }
        }
        var latest = snapshots[^1].Snapshot;
        var maxCatalogId = await connection.ScalarAsync<long?>(null,
            """
            SELECT max(id) FROM (SELECT schema_id AS id FROM ducklake_schema UNION ALL SELECT table_id FROM ducklake_table
              UNION ALL SELECT view_id FROM ducklake_view UNION ALL SELECT partition_id FROM ducklake_partition_info
              UNION ALL SELECT mapping_id FROM ducklake_column_mapping UNION ALL SELECT sort_id FROM ducklake_sort_info) ids
            """, ct) ?? -1;
        if (maxCatalogId >= latest.NextCatalogId) Fail($"next_catalog_id {latest.NextCatalogId} is not above used id {maxCatalogId}");
        var maxFileId = await connection.ScalarAsync<long?>(null,
            "SELECT max(id) FROM (SELECT data_file_id AS id FROM ducklake_data_file UNION ALL SELECT delete_file_id FROM ducklake_delete_file) ids", ct) ?? -1;
        if (maxFileId >= latest.NextFileId) Fail($"next_file_id {latest.NextFileId} is not above used id {maxFileId}");
    }

    private async Task CheckFilesAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        var directories = await SnapshotExpiry.TableDirectoriesAsync(connection, null, lake, ct);
        var files = await connection.QueryAsync(null,
            "SELECT data_file_id, table_id, begin_snapshot, path, path_is_relative, record_count, file_size_bytes, footer_size, partition_id FROM ducklake_data_file",
            r => (Id: r.GetInt64(0), Table: r.GetInt64(1), Begin: r.GetInt64(2),
                Path: DataPaths.Resolve(directories.GetValueOrDefault(r.GetInt64(1), lake.DataPath), r.GetString(3), r.NullableBoolean(4) ?? true),
                Records: r.GetInt64(5), Size: r.GetInt64(6), Footer: r.NullableInt64(7), Partition: r.NullableInt64(8)), ct);
        await using var duck = await QueryDatabase.OpenAsync(ct);
        foreach (var file in files)
        {
            if (!await lake.Storage.ExistsAsync(file.Path, ct)) { Fail($"data file {file.Id} is missing at {file.Path}"); continue; }
            var local = await lake.Storage.GetLocalPathAsync(file.Path, ct);
            if (new FileInfo(local).Length != file.Size) Fail($"data file {file.Id} is {new FileInfo(local).Length} bytes, catalog says {file.Size}");
            if (file.Footer is { } footer && FooterLength(local) != footer) Fail($"data file {file.Id} footer is {FooterLength(local)}, catalog says {footer}");
            var table = (await new CatalogReader(connection, null, lake.DataPath).TableAsync(file.Begin, file.Table, ct))!;
            await CheckParquetAsync(file.Id, local, file.Records, table, ct);
            await CheckFileStatsAsync(connection, duck, file.Id, local, table, ct);
            if (file.Partition is not null && table.Partitioning.Count > 0)
            {
                var values = await connection.ScalarAsync<long>(null, "SELECT count(*) FROM ducklake_file_partition_value WHERE data_file_id = $1", ct, file.Id);
                if (values != table.Partitioning.Count) Fail($"data file {file.Id} has {values} partition values for {table.Partitioning.Count} keys");
            }
        }
        var deletes = await connection.QueryAsync(null,
            "SELECT delete_file_id, table_id, path, path_is_relative, delete_count FROM ducklake_delete_file",
            r => (Id: r.GetInt64(0), Path: DataPaths.Resolve(directories.GetValueOrDefault(r.GetInt64(1), lake.DataPath), r.GetString(2), r.NullableBoolean(3) ?? true),
                Count: r.GetInt64(4)), ct);
        foreach (var delete in deletes)
        {
            if (!await lake.Storage.ExistsAsync(delete.Path, ct)) { Fail($"delete file {delete.Id} is missing at {delete.Path}"); continue; }
            await using var stream = File.OpenRead(await lake.Storage.GetLocalPathAsync(delete.Path, ct));
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct);
            if (reader.Metadata!.NumRows != delete.Count) Fail($"delete file {delete.Id} has {reader.Metadata.NumRows} rows, catalog says {delete.Count}");
            var names = reader.Metadata.Schema.Skip(1).Select(e => e.Name).ToList();
            if (!names.Take(2).SequenceEqual(["file_path", "pos"])) Fail($"delete file {delete.Id} columns are {string.Join(",", names)}");
        }
    }

    private async Task CheckParquetAsync(long fileId, string local, long records, LakeTable table, CancellationToken ct)
    {
        await using var stream = File.OpenRead(local);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct);
        var metadata = reader.Metadata!;
        if (metadata.NumRows != records) Fail($"data file {fileId} has {metadata.NumRows} rows, catalog says {records}");
        var fieldIds = metadata.Schema.Skip(1).Where(e => e.FieldId is not null).Select(e => (long)e.FieldId!.Value).ToList();
        if (fieldIds.Count != fieldIds.Distinct().Count()) Fail($"data file {fileId} repeats a field id");
        var columnIds = table.AllColumns.Select(c => c.Id).ToHashSet();
        foreach (var missing in columnIds.Except(fieldIds)) Fail($"data file {fileId} has no field with id {missing}");
        foreach (var unknown in fieldIds.Where(id => !columnIds.Contains(id) && id != 2147483540 && id != 2147483539))
            Fail($"data file {fileId} has field id {unknown} that is no column of {table.QualifiedName}");
    }

    private async Task CheckFileStatsAsync(System.Data.Common.DbConnection connection, DuckDB.NET.Data.DuckDBConnection duck, long fileId, string local,
        LakeTable table, CancellationToken ct)
    {
        var stats = (await connection.QueryAsync(null,
            "SELECT column_id, null_count, min_value, max_value FROM ducklake_file_column_stats WHERE data_file_id = $1",
            r => (Column: r.GetInt64(0), Nulls: r.NullableInt64(1), Min: r.NullableString(2), Max: r.NullableString(3)), ct, fileId))
            .ToDictionary(s => s.Column);
        foreach (var column in table.Columns.Where(c => c.Children.Count == 0))
        {
            if (!stats.TryGetValue(column.Id, out var stored)) { Fail($"data file {fileId} has no stats for column {column.Name}"); continue; }
            var value = column.TypeName == "boolean" ? $"CAST({SqlText.Identifier(column.Name)} AS INTEGER)" : SqlText.Identifier(column.Name);
            var actual = (await ParquetStager.QueryAsync(duck,
                $"SELECT CAST(min({value}) AS VARCHAR), CAST(max({value}) AS VARCHAR), count(*) - count({value}) " +
                $"FROM read_parquet({SqlText.Literal(local)}, schema = MAP {{{column.Id}: {{name: {SqlText.Literal(column.Name)}, type: {SqlText.Literal(column.Type.ToDuckDb())}, default_value: NULL}}}})",
                r => (Min: r.IsDBNull(0) ? null : r.GetString(0), Max: r.IsDBNull(1) ? null : r.GetString(1), Nulls: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture)),
                ct)).Single();
            if (column.TypeName is "float32" or "float64") continue; // NaN handling and float text can differ; null counts still checked below.
            if (actual.Min != stored.Min || actual.Max != stored.Max)
                Fail($"data file {fileId} column {column.Name}: stats [{stored.Min}, {stored.Max}] but data [{actual.Min}, {actual.Max}]");
            if (actual.Nulls != stored.Nulls) Fail($"data file {fileId} column {column.Name}: null_count {stored.Nulls} but data has {actual.Nulls}");
        }
    }

    private async Task CheckTableStatsAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        var tables = await connection.QueryAsync(null, "SELECT table_id, record_count, next_row_id FROM ducklake_table_stats",
            r => (Table: r.GetInt64(0), Records: r.NullableInt64(1), NextRowId: r.NullableInt64(2)), ct);
        if (tables.Count != tables.Select(t => t.Table).Distinct().Count()) Fail("a table has more than one table_stats row");
        foreach (var stats in tables)
        {
            if (stats.Records is null || stats.NextRowId is null) { Fail($"table {stats.Table} has NULL totals in table_stats"); continue; }
            var highest = await connection.ScalarAsync<long?>(null,
                "SELECT max(row_id_start + record_count) FROM ducklake_data_file WHERE table_id = $1", ct, stats.Table) ?? 0;
            if (stats.NextRowId < highest) Fail($"table {stats.Table} next_row_id {stats.NextRowId} is below used row ids {highest}");
        }
        var columnStats = await connection.QueryAsync(null,
            """
            SELECT s.table_id, s.column_id, s.min_value, s.max_value, f.min_value, f.max_value, c.column_type
            FROM ducklake_table_column_stats s
            JOIN ducklake_file_column_stats f ON f.table_id = s.table_id AND f.column_id = s.column_id
            JOIN ducklake_column c ON c.table_id = s.table_id AND c.column_id = s.column_id AND c.end_snapshot IS NULL
            """,
            r => (Table: r.GetInt64(0), Column: r.GetInt64(1), Min: r.NullableString(2), Max: r.NullableString(3),
                FileMin: r.NullableString(4), FileMax: r.NullableString(5), Type: r.GetString(6)), ct);
        foreach (var s in columnStats)
        {
            if (s.FileMin is not null && (s.Min is null || StatsOrder.Compare(s.Type, s.Min, s.FileMin) > 0))
                Fail($"table {s.Table} column {s.Column} min {s.Min} is above a file's min {s.FileMin}");
            if (s.FileMax is not null && (s.Max is null || StatsOrder.Compare(s.Type, s.Max, s.FileMax) < 0))
                Fail($"table {s.Table} column {s.Column} max {s.Max} is below a file's max {s.FileMax}");
        }
    }

    private static long FooterLength(string path)
    {
        using var stream = File.OpenRead(path);
        stream.Seek(-8, SeekOrigin.End);
        Span<byte> tail = stackalloc byte[4];
        stream.ReadExactly(tail);
        return BitConverter.ToInt32(tail);
    }
}
