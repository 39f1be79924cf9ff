using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using DuckDB.NET.Data;
using Npgsql;

namespace Auraison.DataPlane.Bench;

/// <summary>Workloads 1 and 2: bulk ingest against DuckDB's and PostgreSQL's own loaders, and many small requests.</summary>
internal static class IngestWorkloads
{
    private const int RequestRows = 10_000;

    /// <summary>10k-row requests from 4 clients; baselines: DuckDB NDJSON→Parquet in process, PostgreSQL COPY into a typed table.</summary>
    public static async Task<IReadOnlyList<Result>> BulkAsync(BenchEnvironment bench)
    {
        var rows = bench.Sizes.BulkRows;
        var bodies = Enumerable.Range(0, rows / RequestRows).Select(i => BenchEnvironment.IngestBody("bench.detections", BenchEnvironment.Tenant,
            $"bulk-{i}", Detections.Batch((long)i * RequestRows, RequestRows))).ToArray();
        bench.Service.ResetPeakMemory();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
        {
            for (var i = client; i < bodies.Length; i += 4) await bench.IngestAsync(bodies[i]);
        })));
        var rate = rows / clock.Elapsed.TotalSeconds;
        var peak = bench.Service.PeakMemoryBytes();

        var ndjson = Path.Combine(bench.Work, "detections.ndjson");
        await File.WriteAllTextAsync(ndjson, Detections.Ndjson(0, rows));
        var columnar = await ColumnarRateAsync(bench, ndjson);
        var duck = await DuckDbConversionRatesAsync(bench, ndjson);
        var copy = await PostgresCopyRatesAsync(bench, ndjson);
        return
        [
            new Result("bulk ingest", "rows/s", rate, "DuckDB NDJSON→Parquet in-process", Report.Median(duck), "≥ 0.5× DuckDB",
                rate >= 0.5 * Report.Median(duck), $"{rows} rows, 4 clients; DuckDB {Report.Spread(duck)}"),
            new Result("bulk ingest", "rows/s", rate, "PostgreSQL COPY (text) into a typed table", Report.Median(copy), "≥ 1.5× COPY",
                rate >= 1.5 * Report.Median(copy), $"COPY {Report.Spread(copy)}"),
            new Result("columnar ingest", "rows/s (Parquet bodies)", columnar, "the same rows as JSON bodies (bulk ingest above)", rate, "≥ 2× JSON",
                columnar >= 2 * rate, $"{rows} rows, {RequestRows}-row Parquet bodies, 4 clients"),
            new Result("memory", "peak RSS during bulk ingest (MiB)", peak / 1048576.0, "—", null, "≤ 1024 MiB", peak <= 1L << 30),
        ];
    }

    /// <summary>The same rows as Parquet bodies (what a worker with a pyarrow table sends), 4 clients.</summary>
    private static async Task<double> ColumnarRateAsync(BenchEnvironment bench, string ndjson)
    {
        var bodies = new List<byte[]>();
        await using (var duck = new DuckDBConnection("Data Source=:memory:"))
        {
            duck.Open();
            await ExecuteAsync(duck, $"SET TimeZone = 'UTC'; CREATE TABLE d AS SELECT * FROM read_json('{ndjson}', format = 'newline_delimited', columns = {Detections.DuckDbColumns})");
            for (var start = 0; start < bench.Sizes.BulkRows; start += RequestRows)
            {
                var file = Path.Combine(bench.Work, $"columnar-{start}.parquet");
                await ExecuteAsync(duck, $"COPY (SELECT * FROM d LIMIT {RequestRows} OFFSET {start}) TO '{file}' (FORMAT parquet)");
                bodies.Add(await File.ReadAllBytesAsync(file));
            }
        }
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
        {
            for (var i = client; i < bodies.Count; i += 4)
            {
                var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.apache.parquet");
                using var response = await bench.Http.PostAsync($"/data/ingest?table=bench.columnar&tenant_id={BenchEnvironment.Tenant}&job_id=columnar-{i}&schema_version=1", content);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
            }
        })));
        return bench.Sizes.BulkRows / clock.Elapsed.TotalSeconds;
    }

    /// <summary>64 clients each sending a 10 MB NDJSON body at once: peak memory of the service, and what it stored.</summary>
    public static async Task<IReadOnlyList<Result>> LargeBodiesAsync(BenchEnvironment bench)
    {
        const int clients = 64;
        var lines = new StringBuilder();
        var count = 0;
        while (lines.Length < 10 * 1024 * 1024) lines.Append(Detections.Line(count++)).Append('\n');
        var body = Encoding.UTF8.GetBytes(lines.ToString());
        var before = bench.Service.MemoryBytes();
        bench.Service.ResetPeakMemory();
        var clock = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
            using var response = await bench.Http.PostAsync($"/data/ingest?table=bench.large&tenant_id={BenchEnvironment.Tenant}&job_id=large-{client}&schema_version=1", content);
            return (int)response.StatusCode;
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        var peak = bench.Service.PeakMemoryBytes();
        var stored = statuses.Count(s => s == 201);
        return
        [
            new Result("memory", "peak RSS, 64 clients × 10 MB bodies (MiB)", peak / 1048576.0, "—", null, "≤ 1024 MiB", peak <= 1L << 30,
                $"{stored} of {clients} stored ({count} rows each) in {seconds:F1} s, RSS before {before / 1048576.0:F0} MiB; " +
                $"other answers: {string.Join(", ", statuses.Where(s => s != 201).Distinct())}"),
        ];
    }

    private static async Task<List<double>> DuckDbConversionRatesAsync(BenchEnvironment bench, string ndjson)
    {
        List<double> rates = [];
        await using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        for (var rep = 0; rep < bench.Sizes.Repetitions; rep++)
        {
            var watch = Stopwatch.StartNew();
            await ExecuteAsync(duck, $"COPY (SELECT * FROM read_json('{ndjson}', format = 'newline_delimited', columns = {Detections.DuckDbColumns})) " +
                                     $"TO '{Path.Combine(bench.Work, $"baseline-{rep}.parquet")}' (FORMAT parquet, COMPRESSION zstd)");
            rates.Add(bench.Sizes.BulkRows / watch.Elapsed.TotalSeconds);
        }
        return rates;
    }

    private static async Task<List<double>> PostgresCopyRatesAsync(BenchEnvironment bench, string ndjson)
    {
        var tsv = Path.Combine(bench.Work, "detections.tsv");
        await using (var duck = new DuckDBConnection("Data Source=:memory:"))
        {
            duck.Open();
            await ExecuteAsync(duck, "COPY (SELECT frame, label, confidence, bbox.x, bbox.y, bbox.w, bbox.h, robot_id, seen_at, camera, depth_m, track_id, " +
                                     $"occluded, model, latency_ms FROM read_json('{ndjson}', format = 'newline_delimited', columns = {Detections.DuckDbColumns})) " +
                                     $"TO '{tsv}' (FORMAT csv, DELIMITER '\t', HEADER false)");
        }
        List<double> rates = [];
        await using var pg = new NpgsqlConnection(bench.Postgres);
        await pg.OpenAsync();
        var table = $"bench_copy_{DateTime.UtcNow:yyyyMMddHHmmss}";
        await using (var create = new NpgsqlCommand($"CREATE TABLE {table}(frame bigint, label text, confidence float8, bbox_x float8, bbox_y float8, " +
            "bbox_w float8, bbox_h float8, robot_id text, seen_at timestamptz, camera text, depth_m float8, track_id bigint, occluded boolean, model text, latency_ms float8)", pg))
            await create.ExecuteNonQueryAsync();
        var lines = await File.ReadAllTextAsync(tsv);
        for (var rep = 0; rep < bench.Sizes.Repetitions; rep++)
        {
            await using (var truncate = new NpgsqlCommand($"TRUNCATE {table}", pg)) await truncate.ExecuteNonQueryAsync();
            var watch = Stopwatch.StartNew();
            await using (var writer = await pg.BeginTextImportAsync($"COPY {table} FROM STDIN"))
                await writer.WriteAsync(lines);
            rates.Add(bench.Sizes.BulkRows / watch.Elapsed.TotalSeconds);
        }
        await using (var drop = new NpgsqlCommand($"DROP TABLE {table}", pg)) await drop.ExecuteNonQueryAsync();
        return rates;
    }

    /// <summary>32 clients sending 1-10 rows each: acknowledged requests/s, latency, and what they leave in the lake.</summary>
    public static async Task<IReadOnlyList<Result>> SmallAsync(BenchEnvironment bench)
    {
        // Steady state: the table exists before the clock starts.
        await bench.IngestAsync(BenchEnvironment.IngestBody("bench.small_events", BenchEnvironment.Tenant, "warm-up", Detections.Batch(0, 1)));
        var latencies = new ConcurrentBag<double>();
        var refused = 0;
        var stop = DateTime.UtcNow.AddSeconds(bench.Sizes.SmallSeconds);
        var before = await CatalogCountsAsync(bench.Catalog, "small_events");
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            for (var n = 0; DateTime.UtcNow < stop; n++)
            {
                var body = BenchEnvironment.IngestBody("bench.small_events", BenchEnvironment.Tenant, $"c{client}-{n}", Detections.Batch(n * 10L, random.Next(1, 11)));
                var watch = Stopwatch.StartNew();
                using var response = await bench.Http.PostAsync("/data/ingest", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.IsSuccessStatusCode) latencies.Add(watch.Elapsed.TotalMilliseconds);
                else Interlocked.Increment(ref refused);
            }
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        var after = await CatalogCountsAsync(bench.Catalog, "small_events");
        var acknowledged = latencies.ToList();
        var perSecond = acknowledged.Count / seconds;
        var filesPerThousand = (after.Files - before.Files) * 1000.0 / Math.Max(1, acknowledged.Count);
        var p99 = Report.Percentile(acknowledged, 0.99);
        return
        [
            new Result("small ingest", "acknowledged requests/s", perSecond, "—", null, "≥ 2000", perSecond >= 2000, $"32 clients, {bench.Sizes.SmallSeconds} s, {refused} refused"),
            new Result("small ingest", "p50 latency (ms)", Report.Percentile(acknowledged, 0.5), "—", null, "—", null),
            new Result("small ingest", "p99 latency (ms)", p99, "—", null, "≤ 100 ms", p99 <= 100),
            new Result("small ingest", "data files per 1000 requests", filesPerThousand, "—", null, "≤ 10", filesPerThousand <= 10),
            new Result("small ingest", "snapshots per 1000 requests", (after.Snapshots - before.Snapshots) * 1000.0 / Math.Max(1, acknowledged.Count),
                "—", null, "—", null),
        ];
    }

    private static async Task<(long Files, long Snapshots)> CatalogCountsAsync(string catalog, string table)
    {
        await using var connection = new NpgsqlConnection(catalog);
        await connection.OpenAsync();
        await using var files = new NpgsqlCommand(
            "SELECT count(*) FROM ducklake_data_file d JOIN ducklake_table t USING (table_id) WHERE t.table_name = $1", connection);
        files.Parameters.Add(new NpgsqlParameter { Value = table });
        await using var snapshots = new NpgsqlCommand("SELECT count(*) FROM ducklake_snapshot", connection);
        return ((long)(await files.ExecuteScalarAsync())!, (long)(await snapshots.ExecuteScalarAsync())!);
    }

    internal static async Task ExecuteAsync(DuckDBConnection duck, string sql)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
