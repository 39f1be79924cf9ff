using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Maintenance;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Maintenance;

public class MaintenanceApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Snapshots expire as soon as they are not the newest; files go as soon as no snapshot needs them.</summary>
    internal static readonly Dictionary<string, string?> Eager = new(DataPlaneApp.FilesOnly)
    {
        ["DataPlane:Maintenance:KeepSnapshotsHours"] = "0",
        ["DataPlane:Maintenance:CleanupGraceMinutes"] = "0",
    };

    internal static async Task<JsonElement> RunAsync(DataPlaneApp app, string step, bool dryRun = false)
    {
        var response = await app.Client.PostAsync($"/data/maintenance/{step}?dry_run={(dryRun ? "true" : "false")}", null, Ct);
        var run = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {run}");
        Assert.Equal("ok", run.GetProperty("outcome").GetString());
        return run;
    }

    private static async Task<long> LiveFilesAsync(DataPlaneApp app)
    {
        var lake = await app.LakehouseAsync();
        await using var connection = await lake.Catalog.OpenAsync(Ct);
        return await Lake.Catalog.DbConnectionExtensions.ScalarAsync<long>(connection, null, "SELECT count(*) FROM ducklake_data_file WHERE end_snapshot IS NULL", Ct);
    }

    private static async Task<string> JobIdsAsync(DataPlaneApp app, string extra = "") =>
        (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY job_id", extra)).GetProperty("rows").GetRawText();

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Flush_moves_rows_kept_in_the_catalog_into_parquet_and_they_read_the_same(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" }, new { job_id = "b" } });
        var before = await JobIdsAsync(app);

        var run = await RunAsync(app, "flush");

        Assert.Equal(1, run.GetProperty("files").GetInt64());
        Assert.Equal(1, await LiveFilesAsync(app));
        Assert.Equal(before, await JobIdsAsync(app));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Merge_joins_a_partitions_small_files_and_rows_read_the_same(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        for (var i = 0; i < 4; i++) await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = $"j{i}" } });
        var before = await JobIdsAsync(app);

        var run = await RunAsync(app, "merge");

        Assert.Equal(4, run.GetProperty("files").GetInt64());
        Assert.Equal(1, await LiveFilesAsync(app));
        Assert.Equal(before, await JobIdsAsync(app));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Expire_drops_old_snapshots_but_keeps_those_live_checkpoints_pin(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, Eager);
        var first = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } })).GetProperty("lake_snapshot_id").GetInt64();
        var checkpoint = await app.Client.PostAsJsonAsync("/data/snapshots", new
        {
            intent_id = Guid.NewGuid(), timestamp = "2026-11-27T10:00:00Z", agents_active = Array.Empty<object>(), tenant_id = "acme",
        }, Ct);
        var id = (await checkpoint.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("snapshot_id").GetString();
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } });

        var run = await RunAsync(app, "expire");

        Assert.True(run.GetProperty("snapshots").GetInt64() > 0);
        Assert.Equal(HttpStatusCode.NotFound, (await app.QueryRawAsync("acme", "SELECT 1", $"&lake_snapshot_id={first}")).StatusCode);
        Assert.Equal("""[["a"]]""", await JobIdsAsync(app, $"&as_of_snapshot={id}"));
        Assert.Equal("""[["a"],["b"]]""", await JobIdsAsync(app));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Cleanup_deletes_files_no_snapshot_needs_once_the_grace_period_has_passed(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?>(Eager) { ["DataPlane:Maintenance:CleanupGraceMinutes"] = "60" },
            services: s => s.AddSingleton<TimeProvider>(time));
        for (var i = 0; i < 2; i++) await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = $"j{i}" } });
        await RunAsync(app, "merge");
        time.Now = DateTimeOffset.UtcNow.AddSeconds(1);
        await RunAsync(app, "expire");
        var lake = await app.LakehouseAsync();
        var scheduled = (await app.Client.PostAsync("/data/maintenance/cleanup?dry_run=true", null, Ct));
        Assert.Equal(0, (await scheduled.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("files").GetInt64());

        time.Now += TimeSpan.FromMinutes(61);
        var run = await RunAsync(app, "cleanup");

        Assert.Equal(2, run.GetProperty("files").GetInt64());
        Assert.All(run.GetProperty("detail").GetString()!.Split('\n'), f => Assert.False(lake.Storage.ExistsAsync(f, Ct).Result));
        Assert.Equal("""[["j0"],["j1"]]""", await JobIdsAsync(app));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_query_running_during_cleanup_completes_because_what_it_reads_is_kept_through_the_grace_period(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?>(Eager) { ["DataPlane:Maintenance:CleanupGraceMinutes"] = "60" });
        for (var i = 0; i < 3; i++) await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = $"j{i}" } });
        var slow = app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes, range(30000000) r(i) WHERE i % 7 = 0");

        await RunAsync(app, "merge");
        await RunAsync(app, "expire");
        var cleanup = await RunAsync(app, "cleanup");

        Assert.Equal("[[12857145]]", (await slow).GetProperty("rows").GetRawText());
        Assert.Equal(0, cleanup.GetProperty("files").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Orphans_are_deleted_once_old_enough_and_referenced_files_are_kept(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "kept" } });
        var lake = await app.LakehouseAsync();
        var local = Path.Combine(app.Lake.WorkDirectory, "orphan.parquet");
        await File.WriteAllBytesAsync(local, [1, 2, 3], Ct);
        var orphan = lake.DataPath + "main/job_outcomes/orphan.parquet";
        await lake.Storage.UploadAsync(local, orphan, Ct);

        var young = await RunAsync(app, "orphans");
        time.Now += TimeSpan.FromHours(25);
        var old = await RunAsync(app, "orphans");

        Assert.Equal(0, young.GetProperty("files").GetInt64());
        Assert.Equal(orphan, old.GetProperty("detail").GetString());
        Assert.False(await lake.Storage.ExistsAsync(orphan, Ct));
        Assert.Equal("""[["kept"]]""", await JobIdsAsync(app));
    }

    [Fact]
    public async Task A_dry_run_reports_what_a_step_would_do_and_changes_nothing()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, DataPlaneApp.FilesOnly);
        for (var i = 0; i < 3; i++) await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = $"j{i}" } });

        var run = await RunAsync(app, "merge", dryRun: true);

        Assert.Equal(3, run.GetProperty("files").GetInt64());
        Assert.True(run.GetProperty("dry_run").GetBoolean());
        Assert.Equal(3, await LiveFilesAsync(app));
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_with_what_they_did()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await RunAsync(app, "flush");
        await RunAsync(app, "expire", dryRun: true);

        var listed = await app.Client.GetFromJsonAsync<JsonElement>("/data/maintenance", Ct);

        var runs = listed.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["expire", "flush"], runs.Select(r => r.GetProperty("step").GetString()));
        Assert.Equal(168, listed.GetProperty("settings").GetProperty("keep_snapshots_hours").GetInt32());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_log_drops_runs_older_than_it_keeps(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, services: s => s.AddSingleton<TimeProvider>(time));
        await RunAsync(app, "flush", dryRun: true);
        time.Now += TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1);

        await RunAsync(app, "expire", dryRun: true);

        var listed = await app.Client.GetFromJsonAsync<JsonElement>("/data/maintenance", Ct);
        Assert.Equal(["expire"], listed.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("step").GetString()));
        Assert.Equal(30, listed.GetProperty("settings").GetProperty("keep_runs_days").GetInt32());
    }

    [Fact]
    public async Task Only_one_replica_runs_a_step_at_a_time()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Production);
        await using var first = new DataPlaneFactory(new Dictionary<string, string?>(lake.HostConfiguration) { ["DataPlane:DataDir"] = Path.Combine(lake.WorkDirectory, "r1") });
        await using var second = new DataPlaneFactory(new Dictionary<string, string?>(lake.HostConfiguration) { ["DataPlane:DataDir"] = Path.Combine(lake.WorkDirectory, "r2") });
        var secondClient = second.CreateAuthorizedClient();
        var opened = await first.Services.GetRequiredService<Auraison.DataPlane.Hosting.LakeAccessor>().GetAsync(Ct);
        var runs = first.Services.GetRequiredService<MaintenanceRuns>();
        Assert.True(await runs.TryHoldAsync(opened, "merge", Ct));

        var whileHeld = await secondClient.PostAsync("/data/maintenance/merge", null, Ct);
        await runs.ReleaseAsync(opened, "merge");
        var afterwards = await secondClient.PostAsync("/data/maintenance/merge", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, whileHeld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Scheduled_maintenance_runs_on_its_own(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?>
        {
            ["DataPlane:Maintenance:IntervalSeconds"] = "1", ["DataPlane:Maintenance:Steps"] = "flush",
        });
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });

        static bool Flushed(JsonElement run) => run.GetProperty("step").GetString() == "flush" && run.GetProperty("outcome").GetString() == "ok"
                                                 && run.GetProperty("files").GetInt64() == 1;
        var listed = await app.Client.GetFromJsonAsync<JsonElement>("/data/maintenance", Ct);
        for (var i = 0; i < 100 && !listed.GetProperty("runs").EnumerateArray().Any(Flushed); i++)
        {
            await Task.Delay(100, Ct);
            listed = await app.Client.GetFromJsonAsync<JsonElement>("/data/maintenance", Ct);
        }

        Assert.Contains(listed.GetProperty("runs").EnumerateArray(), Flushed);
        Assert.Equal("flush", listed.GetProperty("settings").GetProperty("steps").GetString());
        Assert.Equal(1, await LiveFilesAsync(app));
    }

    [Fact]
    public async Task An_unknown_step_is_404_and_a_tenant_key_is_403()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production);
        var tenant = app.ClientWith(await app.CreateKeyAsync("acme", "query"));

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.PostAsync("/data/maintenance/vacuum", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsync("/data/maintenance/flush", null, Ct)).StatusCode);
    }
}
