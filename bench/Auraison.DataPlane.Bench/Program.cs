using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Auraison.DataPlane.Bench;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using Npgsql;

// bench <quick|full> <service dll> <results dir>: each workload against the service, then its baseline, in this run.
var size = args.Length > 0 ? args[0] : "quick";
var full = size == "full";
var (bulkRows, smallSeconds, repetitions) = full ? (1_000_000, 30, 5) : (200_000, 8, 3);
var postgres = Environment.GetEnvironmentVariable("DATAPLANE_TEST_PG") ?? throw new InvalidOperationException("Run through bench/run.sh.");
var s3 = Environment.GetEnvironmentVariable("DATAPLANE_TEST_S3")!;
var work = Directory.CreateTempSubdirectory("auraison-bench").FullName;
var schema = $"bench_{DateTime.UtcNow:yyyyMMddHHmmss}";
const string key = "bench-bootstrap-key-0123456789", tenant = "bench";
var catalog = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = $"{schema},public", MaxPoolSize = 60 }.ConnectionString;

using (var bucket = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = s3, ForcePathStyle = true }))
    try { await bucket.PutBucketAsync("bench"); } catch (AmazonS3Exception) { }

var environment = new Dictionary<string, string>
{
    ["DataPlane__DataDir"] = Path.Combine(work, "service"), ["DataPlane__Catalog"] = catalog, ["DataPlane__Vectors"] = catalog,
    ["DataPlane__DataPath"] = $"s3://bench/{schema}/", ["DataPlane__S3__ServiceUrl"] = s3, ["DataPlane__S3__AccessKey"] = "S3RVER",
    ["DataPlane__S3__SecretKey"] = "S3RVER", ["DataPlane__Auth__BootstrapKey"] = key, ["DataPlane__Retrieval__IndexerEnabled"] = "false",
    ["Serilog__MinimumLevel__Default"] = "Warning",
};
List<Result> results = [];
await using var service = await ServiceProcess.StartAsync(args[1], environment);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = service.Address, Timeout = TimeSpan.FromMinutes(10) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

// 1. Bulk ingest: 10k-row requests from 4 clients, against DuckDB's own NDJSON→Parquet and PostgreSQL COPY.
const int requestRows = 10_000;
var bodies = Enumerable.Range(0, bulkRows / requestRows).Select(i =>
    $"{{\"table\":\"bench.detections\",\"tenant_id\":\"{tenant}\",\"job_id\":\"bulk-{i}\",\"schema_version\":\"1\",\"records\":{Detections.Batch((long)i * requestRows, requestRows)}}}").ToArray();
service.ResetPeakMemory();
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
{
    for (var i = client; i < bodies.Length; i += 4)
    {
        using var response = await http.PostAsync("/data/ingest", new StringContent(bodies[i], Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
    }
})));
var ingestRate = bulkRows / clock.Elapsed.TotalSeconds;
var ingestPeak = service.PeakMemoryBytes();
bodies = [];

var ndjson = Path.Combine(work, "detections.ndjson");
await File.WriteAllTextAsync(ndjson, Detections.Ndjson(0, bulkRows));
List<double> duckRates = [];
await using (var duck = new DuckDBConnection("Data Source=:memory:"))
{
    duck.Open();
    for (var rep = 0; rep < repetitions; rep++)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = $"COPY (SELECT * FROM read_json('{ndjson}', format = 'newline_delimited', columns = {Detections.DuckDbColumns})) " +
                              $"TO '{Path.Combine(work, $"baseline-{rep}.parquet")}' (FORMAT parquet, COMPRESSION zstd)";
        var watch = Stopwatch.StartNew();
        await command.ExecuteNonQueryAsync();
        duckRates.Add(bulkRows / watch.Elapsed.TotalSeconds);
    }
}
var tsv = Path.Combine(work, "detections.tsv");
await using (var duck = new DuckDBConnection("Data Source=:memory:"))
{
    duck.Open();
    await using var command = duck.CreateCommand();
    command.CommandText = $"COPY (SELECT frame, label, confidence, bbox.x, bbox.y, bbox.w, bbox.h, robot_id, seen_at, camera, depth_m, track_id, occluded, model, latency_ms " +
                          $"FROM read_json('{ndjson}', format = 'newline_delimited', columns = {Detections.DuckDbColumns})) TO '{tsv}' (FORMAT csv, DELIMITER '\t', HEADER false)";
    await command.ExecuteNonQueryAsync();
}
List<double> copyRates = [];
await using (var pg = new NpgsqlConnection(postgres))
{
    await pg.OpenAsync();
    await using (var create = new NpgsqlCommand($"CREATE TABLE {schema}_copy(frame bigint, label text, confidence float8, bbox_x float8, bbox_y float8, bbox_w float8, " +
        "bbox_h float8, robot_id text, seen_at timestamptz, camera text, depth_m float8, track_id bigint, occluded boolean, model text, latency_ms float8)", pg))
        await create.ExecuteNonQueryAsync();
    var lines = await File.ReadAllTextAsync(tsv);
    for (var rep = 0; rep < repetitions; rep++)
    {
        await using (var truncate = new NpgsqlCommand($"TRUNCATE {schema}_copy", pg)) await truncate.ExecuteNonQueryAsync();
        var watch = Stopwatch.StartNew();
        await using (var writer = await pg.BeginTextImportAsync($"COPY {schema}_copy FROM STDIN"))
            await writer.WriteAsync(lines);
        copyRates.Add(bulkRows / watch.Elapsed.TotalSeconds);
    }
}
results.Add(new Result("bulk ingest", "rows/s", ingestRate, "DuckDB NDJSON→Parquet in-process", Report.Median(duckRates), "≥ 0.5× DuckDB",
    ingestRate >= 0.5 * Report.Median(duckRates), $"{bulkRows} rows, 4 clients; DuckDB {Report.Spread(duckRates)}"));
results.Add(new Result("bulk ingest", "rows/s", ingestRate, "PostgreSQL COPY (text) into a typed table", Report.Median(copyRates), "≥ 1.5× COPY",
    ingestRate >= 1.5 * Report.Median(copyRates), $"COPY {Report.Spread(copyRates)}"));
results.Add(new Result("memory", "peak RSS during bulk ingest (MiB)", ingestPeak / 1048576.0, "—", null, "≤ 1024 MiB", ingestPeak <= 1L << 30));

// 2. Small ingest: 32 clients sending 1-10 rows each.
var smallLatencies = new System.Collections.Concurrent.ConcurrentBag<double>();
var stop = DateTime.UtcNow.AddSeconds(smallSeconds);
var before = await CatalogCountsAsync(catalog, "small_events");
clock.Restart();
await Task.WhenAll(Enumerable.Range(0, 32).Select(client => Task.Run(async () =>
{
    var random = new Random(client);
    for (var n = 0; DateTime.UtcNow < stop; n++)
    {
        var rows = random.Next(1, 11);
        var body = $"{{\"table\":\"bench.small_events\",\"tenant_id\":\"{tenant}\",\"job_id\":\"c{client}-{n}\",\"schema_version\":\"1\",\"records\":{Detections.Batch(n * 10L, rows)}}}";
        var watch = Stopwatch.StartNew();
        using var response = await http.PostAsync("/data/ingest", new StringContent(body, Encoding.UTF8, "application/json"));
        if (response.IsSuccessStatusCode) smallLatencies.Add(watch.Elapsed.TotalMilliseconds);
    }
})));
var smallSecondsTaken = clock.Elapsed.TotalSeconds;
var after = await CatalogCountsAsync(catalog, "small_events");
var latencies = smallLatencies.ToList();
var requestsPerSecond = latencies.Count / smallSecondsTaken;
var filesPerThousand = (after.Files - before.Files) * 1000.0 / Math.Max(1, latencies.Count);
var snapshotsPerThousand = (after.Snapshots - before.Snapshots) * 1000.0 / Math.Max(1, latencies.Count);
results.Add(new Result("small ingest", "acknowledged requests/s", requestsPerSecond, "—", null, "≥ 2000", requestsPerSecond >= 2000, $"32 clients, {smallSeconds} s"));
results.Add(new Result("small ingest", "p50 latency (ms)", Report.Percentile(latencies, 0.5), "—", null, "—", null));
results.Add(new Result("small ingest", "p99 latency (ms)", Report.Percentile(latencies, 0.99), "—", null, "≤ 100 ms", Report.Percentile(latencies, 0.99) <= 100));
results.Add(new Result("small ingest", "data files per 1000 requests", filesPerThousand, "—", null, "≤ 10", filesPerThousand <= 10));
results.Add(new Result("small ingest", "snapshots per 1000 requests", snapshotsPerThousand, "—", null, "—", null));

// 3. Queries over the bulk rows: through /data/query against DuckDB on the same Parquet files, warm.
string[] queries =
[
    "SELECT count(*) FROM bench.detections",
    "SELECT label, count(*) FROM bench.detections GROUP BY label ORDER BY 2 DESC",
    "SELECT robot_id, avg(confidence), max(latency_ms) FROM bench.detections GROUP BY robot_id ORDER BY robot_id",
    "SELECT camera, model, count(*) FROM bench.detections GROUP BY ALL ORDER BY ALL",
    "SELECT frame, confidence FROM bench.detections ORDER BY confidence DESC LIMIT 10",
    "SELECT date_trunc('minute', seen_at) AS m, count(*) FROM bench.detections GROUP BY m ORDER BY m LIMIT 50",
    "SELECT time_bucket(INTERVAL '5 minutes', seen_at) AS b, avg(depth_m) FROM bench.detections GROUP BY b ORDER BY b LIMIT 50",
    "SELECT count(DISTINCT track_id) FROM bench.detections",
    "SELECT label, quantile_cont(latency_ms, 0.95) FROM bench.detections GROUP BY label ORDER BY label",
    "SELECT occluded, avg(bbox.w * bbox.h) FROM bench.detections GROUP BY occluded ORDER BY occluded",
    "SELECT a.label, count(*) FROM bench.detections a JOIN (SELECT track_id FROM bench.detections WHERE confidence > 0.9 GROUP BY track_id) b USING (track_id) GROUP BY a.label ORDER BY 1",
    "SELECT * FROM bench.detections WHERE frame = 12345",
];
var lakeSettings = new LakeSettings
{
    WorkDirectory = Path.Combine(work, "baseline"), CatalogConnectionString = catalog, DataPath = $"s3://bench/{schema}/",
    S3 = new S3Settings { ServiceUrl = s3, AccessKey = "S3RVER", SecretKey = "S3RVER" },
};
await using var lake = await Lakehouse.OpenAsync(lakeSettings, CancellationToken.None);
var content = await lake.ReadAsync(SnapshotSelector.Latest, CancellationToken.None, t => t.QualifiedName == "bench.detections");
var files = (await lake.Reader.LocalizeAsync(content, CancellationToken.None)).Values.ToList();
await using var direct = new DuckDBConnection("Data Source=:memory:");
direct.Open();
await using (var view = direct.CreateCommand())
{
    view.CommandText = "SET TimeZone = 'UTC'; CREATE SCHEMA bench; CREATE VIEW bench.detections AS SELECT * FROM read_parquet([" +
                       string.Join(", ", files.Select(f => $"'{f}'")) + "])";
    await view.ExecuteNonQueryAsync();
}
service.ResetPeakMemory();
List<double> ratios = [];
foreach (var sql in queries)
{
    var url = $"/data/query?tenant_id={tenant}&max_rows=100&sql={Uri.EscapeDataString(sql)}";
    (await http.GetAsync(url)).EnsureSuccessStatusCode();
    await RunDirectAsync(direct, sql);
    List<double> serviceTimes = [], directTimes = [];
    for (var rep = 0; rep < repetitions + 2; rep++)
    {
        var watch = Stopwatch.StartNew();
        (await http.GetAsync(url)).EnsureSuccessStatusCode();
        serviceTimes.Add(watch.Elapsed.TotalMilliseconds);
        watch.Restart();
        await RunDirectAsync(direct, sql);
        directTimes.Add(watch.Elapsed.TotalMilliseconds);
    }
    var (s, d) = (Report.Median(serviceTimes), Report.Median(directTimes));
    ratios.Add(s / d);
    var point = sql.Contains("frame = 12345", StringComparison.Ordinal);
    results.Add(new Result("query", sql.Length > 60 ? sql[..60] + "…" : sql, s, "DuckDB on the same Parquet", d,
        point ? "≤ +5 ms" : "≤ 1.10×", point ? s - d <= 5 : s / d <= 1.10, $"ms, median of {repetitions + 2}"));
}
results.Add(new Result("query", "geometric mean ratio", Math.Exp(ratios.Average(Math.Log)), "DuckDB on the same Parquet", 1, "≤ 1.10×",
    Math.Exp(ratios.Average(Math.Log)) <= 1.10));
results.Add(new Result("memory", "peak RSS during queries (MiB)", service.PeakMemoryBytes() / 1048576.0, "—", null, "—", null));

// 4. Retrieval: recall@10 of HNSW as the service searches it, for a large tenant and a 1% tenant.
var recall = await VectorRecall.MeasureAsync(postgres, schema, full ? 100_000 : 20_000, full ? 100 : 30);
results.Add(new Result("retrieval", "vector load + HNSW build (vectors/s)", recall.BuildRate, "—", null, "—", null, "synthetic 384-d unit vectors, COPY then CREATE INDEX"));
results.Add(new Result("retrieval", "recall@10, large tenant", recall.RecallLarge, "exact search", 1, "≥ 0.95", recall.RecallLarge >= 0.95));
results.Add(new Result("retrieval", "recall@10, 1% tenant", recall.RecallSmall, "exact search", 1, "≥ 0.95", recall.RecallSmall >= 0.95));
results.Add(new Result("retrieval", "HNSW query (ms, median)", recall.HnswMs, "exact search (ms)", recall.ExactMs, "—", null, "raw pgvector, no embedding"));

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:0.#} GiB, " +
              $"{File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()}, " +
              $".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
Report.Write(args[2], size, results,
[
    "retrieval through /data/retrieve with real embeddings (query p50/p99 against a raw pgvector query, embedding time apart): not implemented yet",
    "catalog scale (table listing at 10k tables, planning at 100k files): not implemented yet",
], machine);
Directory.Delete(work, recursive: true);
return 0;

static async Task RunDirectAsync(DuckDBConnection duck, string sql)
{
    await using var command = duck.CreateCommand();
    command.CommandText = sql;
    await using var reader = await command.ExecuteReaderAsync();
    var rows = 0;
    while (await reader.ReadAsync() && rows++ < 100) { }
}

static async Task<(long Files, long Snapshots)> CatalogCountsAsync(string catalog, string table)
{
    await using var connection = new NpgsqlConnection(catalog);
    await connection.OpenAsync();
    await using var files = new NpgsqlCommand(
        "SELECT count(*) FROM ducklake_data_file d JOIN ducklake_table t USING (table_id) WHERE t.table_name = $1", connection);
    files.Parameters.Add(new NpgsqlParameter { Value = table });
    await using var snapshots = new NpgsqlCommand("SELECT count(*) FROM ducklake_snapshot", connection);
    return ((long)(await files.ExecuteScalarAsync())!, (long)(await snapshots.ExecuteScalarAsync())!);
}
