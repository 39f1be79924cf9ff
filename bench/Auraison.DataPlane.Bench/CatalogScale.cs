using System.Diagnostics;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tables;
using Npgsql;

namespace Auraison.DataPlane.Bench;

/// <summary>
/// Workload 6: listing tables and planning a query in a lake with many tables, then with many data files in one table.
/// Baselines: the catalog rows a listing needs, read straight from PostgreSQL; the same EXPLAIN in a session already built.
/// </summary>
internal static class CatalogScale
{
    private const int TablesPerCommit = 250, FilesPerCommit = 10_000;

    /// <summary>Rows of an ingest the service writes as a file (more than its default inline limit, 1,000).</summary>
    private const int FileIngestRows = 1_001;

    public static async Task<IReadOnlyList<Result>> RunAsync(BenchEnvironment bench)
    {
        var tables = bench.Sizes.Tables;
        var clock = Stopwatch.StartNew();
        await CreateTablesAsync(bench, tables);
        var tableRate = tables / clock.Elapsed.TotalSeconds;
        List<Result> results = [.. await ListingAsync(bench, $"{tables:N0} tables", $"created at {tableRate:N0} tables/s, {TablesPerCommit} per commit")];
        results.AddRange(await PlanningAsync(bench, "scale.t00000", $"{tables:N0} tables"));

        clock.Restart();
        await AddFilesAsync(bench, bench.Sizes.Files);
        var note = $"added at {bench.Sizes.Files / clock.Elapsed.TotalSeconds:N0} files/s (upload and {FilesPerCommit:N0} per commit)";
        results.AddRange(await ListingAsync(bench, $"{bench.Sizes.Files:N0} files in one table", note));
        results.AddRange(await PlanningAsync(bench, "bench.scale_files", $"{bench.Sizes.Files:N0} files in one table"));
        results.Add(await PrunedQueryAsync(bench, "bench.scale_files", $"{bench.Sizes.Files:N0} files in one table"));
        return results;
    }

    private static async Task CreateTablesAsync(BenchEnvironment bench, int count)
    {
        foreach (var chunk in Enumerable.Range(0, count).Chunk(TablesPerCommit))
        {
            await bench.Lake.CommitAsync(async (commit, token) =>
            {
                foreach (var i in chunk)
                    await commit.DeclareAsync(TableDeclaration.Parse($"scale.t{i:D5}", true, ("id", "BIGINT"), ("name", "VARCHAR"), ("value", "DOUBLE"),
                        ("seen_at", "TIMESTAMPTZ")), token);
                return 0;
            }, CancellationToken.None);
            Console.Error.WriteLine($"[bench] tables: {chunk[^1] + 1:N0} of {count:N0}");
        }
    }

    /// <summary>One small Parquet file of the tenant, uploaded under many names and registered as that many data files.</summary>
    private static async Task AddFilesAsync(BenchEnvironment bench, int count)
    {
        await bench.IngestAsync(BenchEnvironment.IngestBody("bench.scale_files", BenchEnvironment.Tenant, "scale", """[{"id": 0, "value": 0.5}]"""));
        var table = (await bench.Lake.ReadAsync(SnapshotSelector.Latest, CancellationToken.None, new(t => t.QualifiedName == "bench.scale_files"))).Tables.Single();
        await using var work = bench.Lake.OpenWorkConnection();
        var source = $"SELECT i AS id, i * 0.5 AS value, '{BenchEnvironment.Tenant}' AS {Lineage.TenantId} FROM range(10) AS t(i)";
        var one = (await ParquetStager.WriteAsync(work, table, source, bench.Lake.StagingDirectory, CancellationToken.None)).Single();
        var directory = one.RelativePath[..(one.RelativePath.LastIndexOf('/') + 1)];
        var files = Enumerable.Range(0, count).Select(_ => one with { RelativePath = $"{directory}ducklake-{Guid.CreateVersion7()}.parquet" }).ToList();
        var uploaded = 0;
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (file, token) =>
        {
            await bench.Lake.Storage.UploadAsync(file.LocalPath, table.Directory + file.RelativePath, token);
            if (Interlocked.Increment(ref uploaded) % 10_000 == 0) Console.Error.WriteLine($"[bench] files uploaded: {uploaded:N0} of {count:N0}");
        });
        foreach (var chunk in files.Chunk(FilesPerCommit))
            await bench.Lake.CommitAsync((commit, token) => commit.AppendFilesAsync(table, chunk, token), CancellationToken.None);
        File.Delete(one.LocalPath);
    }

    /// <summary>GET /data/tables repeated (kept per snapshot) and right after a commit (read anew), against its catalog rows read directly.</summary>
    private static async Task<IEnumerable<Result>> ListingAsync(BenchEnvironment bench, string scale, string note)
    {
        var url = $"/data/tables?tenant_id={BenchEnvironment.Tenant}";
        (await bench.Http.GetAsync(url)).EnsureSuccessStatusCode();
        List<double> repeated = [], afterCommit = [], baseline = [];
        for (var rep = 0; rep < bench.Sizes.Repetitions; rep++)
        {
            var watch = Stopwatch.StartNew();
            (await bench.Http.GetAsync(url)).EnsureSuccessStatusCode();
            repeated.Add(watch.Elapsed.TotalMilliseconds);
            await bench.IngestAsync(BenchEnvironment.IngestBody("bench.ping", BenchEnvironment.Tenant, $"list-{scale}-{rep}", """[{"id": 1}]"""));
            watch.Restart();
            (await bench.Http.GetAsync(url)).EnsureSuccessStatusCode();
            afterCommit.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await ReadListingRowsAsync(bench.Catalog);
            baseline.Add(watch.Elapsed.TotalMilliseconds);
        }
        return new[] { ("repeated", repeated), ("after a commit", afterCommit) }.Select(m => new Result("catalog scale",
            $"list tables {m.Item1} (ms), {scale}", Report.Median(m.Item2), "its catalog rows read from PostgreSQL directly (ms)", Report.Median(baseline),
            "≤ 100 ms", Report.Median(m.Item2) <= 100, $"{note}; median of {bench.Sizes.Repetitions}"));
    }

    /// <summary>Tables, their columns and the tenant's row counts visible at the newest snapshot: what the listing shows.</summary>
    private static async Task ReadListingRowsAsync(string catalog)
    {
        await using var connection = new NpgsqlConnection(catalog);
        await connection.OpenAsync();
        var latest = await connection.ScalarAsync<long>(null, "SELECT max(snapshot_id) FROM ducklake_snapshot", CancellationToken.None);
        foreach (var sql in new[]
        {
            $"""
             SELECT s.schema_name, t.table_name, c.column_name, c.column_type FROM ducklake_table t
             JOIN ducklake_schema s ON s.schema_id = t.schema_id AND {CatalogReader.Visible("s.")}
             JOIN ducklake_column c ON c.table_id = t.table_id AND {CatalogReader.Visible("c.")}
             WHERE {CatalogReader.Visible("t.")}
             """,
            $"""
             SELECT d.table_id, sum(d.record_count), max(d.begin_snapshot) FROM ducklake_data_file d
             JOIN ducklake_file_partition_value v ON v.data_file_id = d.data_file_id AND v.partition_key_index = 0 AND v.partition_value = '{BenchEnvironment.Tenant}'
             WHERE {CatalogReader.Visible("d.")} GROUP BY d.table_id
             """,
        })
            await connection.QueryAsync(null, sql, r => r.GetValue(0), CancellationToken.None, latest);
    }

    /// <summary>
    /// A query whose filter no file's statistics can match (every file holds ids 0-9), which reads no file but the
    /// one a view needs to bind, against the same table counted whole: what pruning by the catalog's statistics saves.
    /// </summary>
    private static async Task<Result> PrunedQueryAsync(BenchEnvironment bench, string table, string scale)
    {
        string Url(string sql) => $"/data/query?tenant_id={BenchEnvironment.Tenant}&sql={Uri.EscapeDataString(sql)}";
        var (pruned, whole) = (Url($"SELECT count(*) FROM {table} WHERE id > 1000"), Url($"SELECT count(*) FROM {table}"));
        (await bench.Http.GetAsync(pruned)).EnsureSuccessStatusCode(); // reads the column's statistics once
        (await bench.Http.GetAsync(whole)).EnsureSuccessStatusCode();
        List<double> prunedTimes = [], wholeTimes = [];
        for (var rep = 0; rep < bench.Sizes.Repetitions; rep++)
        {
            var watch = Stopwatch.StartNew();
            (await bench.Http.GetAsync(pruned)).EnsureSuccessStatusCode();
            prunedTimes.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            (await bench.Http.GetAsync(whole)).EnsureSuccessStatusCode();
            wholeTimes.Add(watch.Elapsed.TotalMilliseconds);
        }
        var median = Report.Median(prunedTimes);
        return new Result("catalog scale", $"run a query its filter prunes to no file (ms), {scale}", median, "the same table counted whole (ms)",
            Report.Median(wholeTimes), "≤ 200 ms", median <= 200, $"WHERE id > 1000, no file's max reaches it; median of {bench.Sizes.Repetitions}");
    }

    /// <summary>
    /// EXPLAIN through /data/query right after a commit to another table (the session moves forward), right after one
    /// to the table itself (a one-row ingest, inlined in the catalog: the session follows it in place) and right after
    /// one that writes the table a file (an ingest above the inline limit, as a flush does: followed in place too), each
    /// against the same EXPLAIN again.
    /// </summary>
    private static async Task<IEnumerable<Result>> PlanningAsync(BenchEnvironment bench, string table, string scale)
    {
        var url = $"/data/query?tenant_id={BenchEnvironment.Tenant}&sql={Uri.EscapeDataString($"EXPLAIN SELECT count(*) FROM {table}")}";
        List<Result> results = [];
        var oneRow = """[{"id": 1}]""";
        var aFile = "[" + string.Join(", ", Enumerable.Range(0, FileIngestRows).Select(i => $$"""{"id": {{i}}}""")) + "]";
        foreach (var (committedTo, label, records) in new[] { ("bench.ping", "another table", oneRow), (table, "that table", oneRow), (table, "that table's files", aFile) })
        {
            List<double> cold = [], warm = [];
            for (var rep = -1; rep < bench.Sizes.Repetitions; rep++)
            {
                await bench.IngestAsync(BenchEnvironment.IngestBody(committedTo, BenchEnvironment.Tenant, $"ping-{label}-{rep}", records));
                var watch = Stopwatch.StartNew();
                (await bench.Http.GetAsync(url)).EnsureSuccessStatusCode();
                var first = watch.Elapsed.TotalMilliseconds;
                watch.Restart();
                (await bench.Http.GetAsync(url)).EnsureSuccessStatusCode();
                if (rep < 0) continue; // the first build also downloads the files into the service's cache
                cold.Add(first);
                warm.Add(watch.Elapsed.TotalMilliseconds);
            }
            var median = Report.Median(cold);
            results.Add(new Result("catalog scale", $"plan a query after a commit to {label} (ms), {scale}", median, "the same EXPLAIN, session built (ms)",
                Report.Median(warm), "≤ 200 ms", median <= 200, $"EXPLAIN SELECT count(*) FROM {table}; median of {bench.Sizes.Repetitions}"));
        }
        return results;
    }
}
