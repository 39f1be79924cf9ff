using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using DuckDB.NET.Data;
using Npgsql;

namespace Auraison.DataPlane.Bench;

/// <summary>
/// Workload 7: the training substrate. Battery readings (two per robot) go in as one Parquet body; then a Parquet
/// dataset export against DuckDB's COPY of the same query, historical feature retrieval against the same ASOF JOIN
/// written by hand in DuckDB, and online lookups against the same primary-key SELECT on the catalog database.
/// </summary>
internal static class TrainingWorkload
{
    private const string Table = "event_log.battery";
    // "at" is also DuckDB's time-travel keyword: quoted wherever it names the column.
    private const string Select = "SELECT robot_id, \"at\", level, temp_c FROM event_log.battery";

    public static async Task<IReadOnlyList<Result>> RunAsync(BenchEnvironment bench)
    {
        var entities = bench.Sizes.Name == "full" ? 1_000_000 : 10_000;
        await IngestReadingsAsync(bench, entities);
        List<Result> results = [await ExportAsync(bench, entities * 2L)];
        results.Add(await HistoricalAsync(bench, entities, bench.Sizes.Name == "full" ? 10_000 : 1_000));
        results.AddRange(await OnlineAsync(bench, entities));
        return results;
    }

    private static async Task IngestReadingsAsync(BenchEnvironment bench, int entities)
    {
        var file = Path.Combine(bench.Work, "battery.parquet");
        await using (var duck = new DuckDBConnection("Data Source=:memory:"))
        {
            duck.Open();
            await IngestWorkloads.ExecuteAsync(duck, $"""
                COPY (SELECT 'r' || (i % {entities}) AS robot_id, TIMESTAMPTZ '2026-11-30 00:00:00+00' + to_seconds(i) AS at,
                             (i % 100) / 100.0 AS level, 20 + (i % 30) AS temp_c
                      FROM range({entities * 2L}) AS t(i)) TO '{file}' (FORMAT parquet)
                """);
        }
        var clock = Stopwatch.StartNew();
        using var body = new StreamContent(File.OpenRead(file));
        body.Headers.ContentType = new("application/vnd.apache.parquet");
        using var response = await bench.Http.PostAsync($"/data/ingest?table={Table}&tenant_id={BenchEnvironment.Tenant}&job_id=battery&schema_version=1", body);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        Console.Error.WriteLine($"[bench] battery: {entities * 2L:N0} readings ingested in {clock.Elapsed.TotalSeconds:N1} s");
    }

    /// <summary>A Parquet export of every reading (POST, then polled to success) against DuckDB copying the same query's rows to Parquet.</summary>
    private static async Task<Result> ExportAsync(BenchEnvironment bench, long rows)
    {
        var clock = Stopwatch.StartNew();
        var status = await PostJsonAsync(bench, "/data/datasets", new { tenant_id = BenchEnvironment.Tenant, name = "battery-export", format = "parquet", source = new { sql = Select } });
        while (status.GetProperty("status").GetString() == "running")
        {
            await Task.Delay(50);
            status = await bench.Http.GetFromJsonAsync<JsonElement>($"/data/datasets/{status.GetProperty("dataset_id").GetString()}?tenant_id={BenchEnvironment.Tenant}");
        }
        if (status.GetProperty("status").GetString() != "succeeded") throw new InvalidOperationException(status.ToString());
        var service = rows / clock.Elapsed.TotalSeconds;

        await using var direct = await bench.DirectAsync(Table);
        clock.Restart();
        await IngestWorkloads.ExecuteAsync(direct, $"COPY ({Select}) TO '{Path.Combine(bench.Work, "baseline-export.parquet")}' (FORMAT parquet)");
        var baseline = rows / clock.Elapsed.TotalSeconds;
        return new Result("training", $"parquet export (rows/s), {rows:N0} rows", service, "DuckDB COPY of the same query to Parquet (rows/s)", baseline, "—", null,
            "the export also pins its snapshot, builds the tenant's views, stores the files as objects and records the dataset");
    }

    /// <summary>POST /data/features/historical for random (robot, time) rows against the hand-written ASOF JOIN over the same files.</summary>
    private static async Task<Result> HistoricalAsync(BenchEnvironment bench, int entities, int requestRows)
    {
        await PutViewAsync(bench);
        var random = new Random(7);
        var rows = Enumerable.Range(0, requestRows).Select(_ => new Dictionary<string, object>
        {
            ["robot_id"] = $"r{random.Next(entities)}", ["at"] = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(entities * 2)).ToString("O"),
        }).ToList();
        List<double> service = [], baseline = [];
        await using var direct = await bench.DirectAsync(Table);
        var spine = Path.Combine(bench.Work, "spine.json");
        await File.WriteAllTextAsync(spine, JsonSerializer.Serialize(rows));
        for (var rep = -1; rep < bench.Sizes.Repetitions; rep++)
        {
            var clock = Stopwatch.StartNew();
            await PostJsonAsync(bench, "/data/features/historical", new { tenant_id = BenchEnvironment.Tenant, view = "battery", rows });
            var took = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            await IngestWorkloads.ExecuteAsync(direct, $$"""
                CREATE OR REPLACE TEMP TABLE joined AS
                SELECT s.robot_id, s."at", b.level, b.temp_c FROM read_json('{{spine}}', columns = {robot_id: 'VARCHAR', "at": 'TIMESTAMPTZ'}) s
                ASOF LEFT JOIN ({{Select}}) b ON s.robot_id = b.robot_id AND s."at" >= b."at"
                """);
            if (rep < 0) continue; // the first run of each also reads the files into the caches
            service.Add(took);
            baseline.Add(clock.Elapsed.TotalMilliseconds);
        }
        return new Result("training", $"historical features (ms), {requestRows:N0} rows over {entities * 2L:N0} readings", Report.Median(service),
            "the same ASOF JOIN written in DuckDB (ms)", Report.Median(baseline), "—", null, $"median of {bench.Sizes.Repetitions}");
    }

    /// <summary>Online lookups of random robots after one materialisation of every entity, against the same SELECT straight on PostgreSQL.</summary>
    private static async Task<IEnumerable<Result>> OnlineAsync(BenchEnvironment bench, int entities)
    {
        var clock = Stopwatch.StartNew();
        await PostJsonAsync(bench, $"/data/features/battery/materialize?tenant_id={BenchEnvironment.Tenant}", new { });
        var materialised = clock.Elapsed.TotalSeconds;
        var random = new Random(11);
        List<double> service = [], baseline = [];
        await using var catalog = new NpgsqlConnection(bench.Catalog);
        await catalog.OpenAsync();
        for (var i = 0; i < 2_000; i++)
        {
            var entity = $"r{random.Next(entities)}";
            clock.Restart();
            using (var response = await bench.Http.GetAsync($"/data/features/online?tenant_id={BenchEnvironment.Tenant}&view=battery&entity={entity}"))
                response.EnsureSuccessStatusCode();
            service.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await using var command = new NpgsqlCommand("SELECT features, event_at FROM dataplane_online_features WHERE tenant_id = $1 AND view_name = $2 AND entity = $3", catalog);
            command.Parameters.Add(new() { Value = BenchEnvironment.Tenant });
            command.Parameters.Add(new() { Value = "battery" });
            command.Parameters.Add(new() { Value = entity });
            await using (var reader = await command.ExecuteReaderAsync()) while (await reader.ReadAsync()) { }
            baseline.Add(clock.Elapsed.TotalMilliseconds);
        }
        var note = $"{entities:N0} entities materialised in {materialised:N0} s; 2,000 sequential lookups over HTTP";
        return
        [
            new Result("training", "online lookup p50 (ms)", Report.Percentile(service, 0.5), "the same SELECT on PostgreSQL (ms)", Report.Percentile(baseline, 0.5), "—", null, note),
            new Result("training", "online lookup p99 (ms)", Report.Percentile(service, 0.99), "the same SELECT on PostgreSQL (ms)", Report.Percentile(baseline, 0.99), "≤ 10 ms",
                Report.Percentile(service, 0.99) <= 10, note),
        ];
    }

    private static Task PutViewAsync(BenchEnvironment bench) =>
        bench.Http.PutAsJsonAsync("/data/features/battery", new
        {
            tenant_id = BenchEnvironment.Tenant, source = Table, entity = "robot_id", timestamp = "at", features = new[] { "level", "temp_c" },
        }).ContinueWith(t => t.Result.EnsureSuccessStatusCode(), TaskScheduler.Default);

    private static async Task<JsonElement> PostJsonAsync(BenchEnvironment bench, string path, object body)
    {
        using var response = await bench.Http.PostAsJsonAsync(path, body);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {reply}");
        return reply;
    }
}
