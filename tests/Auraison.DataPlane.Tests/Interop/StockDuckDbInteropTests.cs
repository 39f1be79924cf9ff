using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Maintenance;
using Auraison.DataPlane.Tests.Maintenance;
using Auraison.DataPlane.Tests.Objects;
using Auraison.DataPlane.Tests.Policy;
using Auraison.DataPlane.Tests.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Interop;

/// <summary>
/// The service's lake and a stock DuckDB + ducklake (the LakehouseAgent's <c>duckdb</c>) see the same lake: what the
/// service writes, the stock CLI reads exactly (every snapshot, its changes, every row; <c>AT (VERSION => n)</c> equals
/// <c>lake_snapshot_id=n</c>), and what the stock CLI writes into the service's tables, the service reads exactly
/// and appends to. The service is stopped while the stock CLI has the lake, and restarted on it afterwards.
/// </summary>
public class StockDuckDbInteropTests
{
    private const string Tenant = "acme";

    private static CancellationToken Ct => DataPlaneApp.Ct;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_platform_tables_created_at_first_start_read_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);

        await AssertStockReadsWhatTheServiceShowsAsync(app);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Ingests_into_partitioned_tables_with_new_nested_and_list_fields_read_the_same_at_every_snapshot(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync(Tenant, "event_log.object_detections", new object[]
        {
            new { frame = 1, label = "cup", confidence = 0.91, bbox = new { x = 0.1, y = 0.2, w = 0.3, h = 0.4 }, robot_id = "r1", seen_at = "2026-11-27T10:00:00Z" },
            new { frame = 2, label = "person", confidence = 0.5, robot_id = "r2", seen_at = "2026-11-28T10:00:00+02:00" },
        });
        await app.IngestOkAsync(Tenant, "event_log.object_detections", new object[]
        {
            new { frame = 3, label = "door", tags = new[] { "static", "large" }, track = new { id = "t3", points = new[] { new { x = 1.5, y = -2.0 } } }, speed = 0.25 },
        });
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[]
        {
            new { job_id = "j1", cluster = "torch.dev.gpu", status = "ok", summary = "trained", started_at = "2026-11-27T09:00:00Z" },
            new { job_id = "j2", cluster = "ros", status = "failed", summary = "it's \"broken\", badly" },
        });
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "j3", status = "ok", attempts = 3, metrics = new { loss = 0.1 } } });
        await app.IngestOkAsync(Tenant, "robots.fleet", new object[] { new { robot_id = "r1", model = "turtlebot4", joined = "2026-01-01T00:00:00Z" } });

        await AssertStockReadsWhatTheServiceShowsAsync(app);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Stored_objects_and_registered_parquet_files_read_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync(Tenant, "outputs/poses.parquet", await FileRegistrationTests.ParquetAsync("SELECT i AS frame, i * 0.25 AS x FROM range(20) t(i)"));
        var registered = await FileRegistrationTests.RegisterAsync(app.Client, "slam.poses", Tenant, "outputs/poses.parquet");
        Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);

        await AssertStockReadsWhatTheServiceShowsAsync(app);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Geometry_columns_ingested_registered_and_written_by_the_stock_extension_read_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);
        await GeometryTests.DeclareLandmarksAsync(app);
        await app.IngestOkAsync(Tenant, "slam.landmarks", new object[] { new { landmark = 1, position = "POINT(1.5 2)" }, new { landmark = 2, position = "LINESTRING(0 0, 3 4)" } });
        await app.Client.PutOkAsync(Tenant, "maps/landmarks.parquet", await FileRegistrationTests.ParquetAsync(GeometryTests.GeoParquetSelect, GeometryTests.GeoMetadata));
        Assert.Equal(System.Net.HttpStatusCode.Created, (await FileRegistrationTests.RegisterAsync(app.Client, "slam.landmark_map", Tenant, "maps/landmarks.parquet")).StatusCode);
        await AssertStockReadsWhatTheServiceShowsAsync(app);

        await app.StopAsync();
        await using (var stock = await StockLake.OpenAsync(app.Lake, Ct))
            await stock.ExecuteAsync("""
                INSERT INTO lake.slam.landmarks BY NAME SELECT 7 AS landmark, 'POLYGON((0 0, 1 0, 1 1, 0 0))'::GEOMETRY AS position, 'acme' AS _dp_tenant_id,
                    'agent' AS _dp_job_id, '1' AS _dp_schema_version, uuid() AS _dp_partition_id, now() AS _dp_ingested_at;
                """, Ct);
        app.Restart();
        await AssertServiceReadsWhatStockShowsAsync(app);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Rows_the_service_keeps_in_the_catalog_and_then_flushes_read_the_same_at_every_snapshot(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync(Tenant, "event_log.object_detections", new object[]
        {
            new { frame = 1, label = "it's, {odd}", bbox = new { x = 0.1, y = 0.2, w = 0.3, h = 0.4 }, tags = new[] { "a", "b, c" }, seen_at = "2026-11-27T10:00:00Z" },
        });
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "j1", metrics = new { loss = 0.5 } }, new { job_id = "j2" } });
        await AssertStockReadsWhatTheServiceShowsAsync(app);

        await (await app.LakehouseAsync()).FlushInlinedDataAsync(dryRun: false, Ct);
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "after the flush" } });

        await AssertStockReadsWhatTheServiceShowsAsync(app);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_world_model_checkpoint_replays_the_same_in_the_stock_extension(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "before", status = "ok" } });
        var checkpoint = await app.Client.PostAsJsonAsync("/data/snapshots", new
        {
            intent_id = Guid.NewGuid(), timestamp = "2026-11-27T10:00:00Z", tenant_id = Tenant,
            agents_active = new[] { new { role = "planner", status = "running", tool_call_count = 3 } },
            user_plane = new { torch = new { jobs_in_flight = 2, gpu_util = 0.75 } },
            causal_chain = new[] { new { intent_id = "i1", job_id = "before", outcome = "ok" } },
        }, Ct);
        var pinned = (await checkpoint.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("lake_snapshot_id").GetInt64();
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "after", status = "failed" } });
        var replayed = (await app.QueryAsync(Tenant, "SELECT job_id FROM job_outcomes ORDER BY job_id", $"&lake_snapshot_id={pinned}")).GetProperty("rows");

        await AssertStockReadsWhatTheServiceShowsAsync(app);

        await app.StopAsync();
        await using var stock = await StockLake.OpenAsync(app.Lake, Ct);
        Assert.Equal(replayed.EnumerateArray().Select(r => $$"""{"job_id":"{{r[0].GetString()}}"}""").ToList(),
            await stock.QueryAsync($"SELECT job_id FROM lake.main.job_outcomes AT (VERSION => {pinned}) ORDER BY job_id", Ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retention_deletes_and_expiry_read_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync(Tenant, "event_log.agent_traces", new object[] { new { text = "old 1" }, new { text = "old 2" } });
        await app.IngestOkAsync(Tenant, "job_outcomes", Enumerable.Range(0, 20).Select(i => new { job_id = $"old-{i}", status = "ok" }).ToArray());
        var boundary = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "new", status = "ok" } });
        await app.IngestOkAsync(Tenant, "event_log.agent_traces", new object[] { new { text = "new" } });
        await PolicyTests.PutPolicyAsync(app, new { tenant_id = Tenant, retention_days = 1 });
        time.Now = boundary.AddDays(1);
        var run = await app.Client.PostAsync($"/data/policy/{Tenant}/retention?dry_run=false", null, Ct);
        Assert.True(run.IsSuccessStatusCode, await run.Content.ReadAsStringAsync(Ct));

        await AssertStockReadsWhatTheServiceShowsAsync(app);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Every_maintenance_step_leaves_a_lake_the_stock_extension_reads_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode, MaintenanceApiTests.Eager);
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "kept-in-catalog", status = "ok" } });
        for (var i = 0; i < 3; i++)
            await app.IngestOkAsync(Tenant, "job_outcomes", Enumerable.Range(0, 1500).Select(r => new { job_id = $"j{i}-{r}", status = r % 2 == 0 ? "ok" : "failed" }).ToArray());

        foreach (var step in MaintenanceSteps.Names)
        {
            await MaintenanceApiTests.RunAsync(app, step);
            await AssertStockReadsWhatTheServiceShowsAsync(app);
        }
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Rows_the_stock_extension_writes_and_maintains_in_a_service_table_read_the_same_and_take_the_services_appends(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "service-1", status = "ok", cluster = "ros" } });
        await app.StopAsync();

        await using (var stock = await StockLake.OpenAsync(app.Lake, Ct))
        {
            const string lineage = "'acme' AS _dp_tenant_id, 'agent' AS _dp_job_id, '1' AS _dp_schema_version, " +
                                   "uuid() AS _dp_partition_id, now() AS _dp_ingested_at";
            await stock.ExecuteAsync($"""
                INSERT INTO lake.main.job_outcomes BY NAME SELECT 'inlined-' || i AS job_id, 'ok' AS status, {lineage} FROM range(3) r(i);
                INSERT INTO lake.main.job_outcomes BY NAME SELECT 'bulk-' || i AS job_id, ['ok', 'failed'][1 + i % 2] AS status, {lineage} FROM range(50) r(i);
                INSERT INTO lake.main.job_outcomes BY NAME SELECT 'more-' || i AS job_id, 'ok' AS status, {lineage} FROM range(30) r(i);
                ALTER TABLE lake.main.job_outcomes ADD COLUMN reviewed_by VARCHAR;
                INSERT INTO lake.main.job_outcomes BY NAME SELECT 'reviewed' AS job_id, 'ok' AS status, 'agent-7' AS reviewed_by, {lineage};
                DELETE FROM lake.main.job_outcomes WHERE job_id IN ('bulk-4', 'inlined-1', 'service-1');
                """, Ct);
        }
        app.Restart();
        await AssertServiceReadsWhatStockShowsAsync(app);

        await app.StopAsync();
        await using (var stock = await StockLake.OpenAsync(app.Lake, Ct))
            await stock.ExecuteAsync("""
                CALL ducklake_flush_inlined_data('lake');
                CALL ducklake_merge_adjacent_files('lake');
                """, Ct);
        app.Restart();
        await AssertServiceReadsWhatStockShowsAsync(app);

        await app.StopAsync();
        await using (var stock = await StockLake.OpenAsync(app.Lake, Ct))
            await stock.ExecuteAsync("""
                CALL ducklake_expire_snapshots('lake', older_than => now());
                CALL ducklake_cleanup_old_files('lake', cleanup_all => true);
                """, Ct);
        app.Restart();
        await AssertServiceReadsWhatStockShowsAsync(app);

        await app.IngestOkAsync(Tenant, "job_outcomes", new object[] { new { job_id = "service-2", status = "ok", reviewed_by = "service" } });
        await AssertStockReadsWhatTheServiceShowsAsync(app);
    }

    /// <summary>Captures the service's view, stops it (an embedded catalog has one writer), compares with the stock CLI, restarts it.</summary>
    private static async Task AssertStockReadsWhatTheServiceShowsAsync(DataPlaneApp app)
    {
        var expected = await ServiceView.CaptureAsync(app, Tenant);
        await app.StopAsync();
        await using (var stock = await StockLake.OpenAsync(app.Lake, Ct))
            LakeView.AssertSame(expected, (await stock.ViewAsync(Ct)).AsTenantSees(Tenant), "service", "stock DuckDB");
        app.Restart();
    }

    private static async Task AssertServiceReadsWhatStockShowsAsync(DataPlaneApp app)
    {
        await app.StopAsync();
        LakeView expected;
        await using (var stock = await StockLake.OpenAsync(app.Lake, Ct)) expected = (await stock.ViewAsync(Ct)).AsTenantSees(Tenant);
        app.Restart();
        LakeView.AssertSame(expected, await ServiceView.CaptureAsync(app, Tenant), "stock DuckDB", "service");
    }
}
