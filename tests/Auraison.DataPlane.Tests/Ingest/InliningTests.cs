using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Tests.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Ingest;

/// <summary>Small commits keep their rows in the catalog (data inlining) until a flush moves them to Parquet.</summary>
public class InliningTests
{
    private static CancellationToken Ct => DataPlaneApp.Ct;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Small_requests_are_kept_in_the_catalog_and_read_like_any_rows(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var before = await app.FootprintAsync();

        await app.IngestOkAsync("acme", "job_outcomes", new object[]
        {
            new { job_id = "j1", status = "ok", started_at = "2026-11-27T10:00:00+02:00", metrics = new { loss = 0.25, tags = new[] { "a", "b" } } },
            new { job_id = "j2", status = "it's \"quoted\", {braced}\ttab\\n\nline" },
        });

        Assert.Equal("""[["j1","ok","2026-11-27T08:00:00Z",0.25,["a","b"]],["j2","it's \"quoted\", {braced}\ttab\\n\nline",null,null,null]]""",
            (await app.QueryAsync("acme", "SELECT job_id, status, started_at, metrics.loss, metrics.tags FROM job_outcomes ORDER BY job_id"))
            .GetProperty("rows").GetRawText());
        var after = await app.FootprintAsync();
        Assert.Equal(before.Files, after.Files);
        Assert.Equal("[[0]]", (await app.QueryAsync("acme", "SELECT json_array_length(data_files) FROM lineage.ingests")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_flush_moves_them_to_parquet_and_every_earlier_snapshot_reads_the_same(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        List<(long Snapshot, string Rows)> seen = [];
        for (var i = 0; i < 4; i++)
        {
            var reply = await app.IngestOkAsync(i % 2 == 0 ? "acme" : "globex", "event_log.agent_traces", new object[] { new { trace_id = $"t{i}", step = i } });
            var snapshot = reply.GetProperty("lake_snapshot_id").GetInt64();
            seen.Add((snapshot, await RowsAtAsync(app, snapshot)));
        }
        var filesBefore = (await app.FootprintAsync()).Files;

        var flushed = await (await app.LakehouseAsync()).FlushInlinedDataAsync(dryRun: false, Ct);

        Assert.Equal(4, flushed.Bytes);
        Assert.Equal(filesBefore + 2, (await app.FootprintAsync()).Files);
        foreach (var (snapshot, rows) in seen) Assert.Equal(rows, await RowsAtAsync(app, snapshot));
        Assert.Equal(seen[^1].Rows, await RowsAtAsync(app, null));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Enough_inlined_rows_are_flushed_in_the_background(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?> { ["DataPlane:Ingest:FlushRows"] = "10" });
        var before = (await app.FootprintAsync()).Files;

        for (var i = 0; i < 4; i++) await app.IngestOkAsync("acme", "job_outcomes", Enumerable.Range(0, 3).Select(r => new { job_id = $"j{i}-{r}" }).ToArray());

        for (var waited = 0; waited < 100 && (await app.FootprintAsync()).Files == before; waited++) await Task.Delay(100, Ct);
        Assert.Equal(before + 1, (await app.FootprintAsync()).Files);
        Assert.Equal("12", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Another_tenants_inlined_rows_are_neither_visible_nor_counted(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a1" }, new { job_id = "a2" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "g1" } });

        Assert.Equal("""[["a1"],["a2"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY 1")).GetProperty("rows").GetRawText());
        var listed = await app.Client.GetFromJsonAsync<JsonElement>("/data/tables/job_outcomes?tenant_id=globex", Ct);
        Assert.Equal(1, listed.GetProperty("row_count").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retention_removes_a_tenants_inlined_rows_and_keeps_the_others(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "old" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "same age, other tenant" } });
        var boundary = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "new" } });
        await PolicyTests.PutPolicyAsync(app, new { tenant_id = "acme", retention_days = 1 });
        time.Now = boundary.AddDays(1);

        var run = await app.Client.PostAsync("/data/policy/acme/retention?dry_run=false", null, Ct);

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal("""[["new"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes")).GetProperty("rows").GetRawText());
        Assert.Equal("1", await app.ScalarAsync("globex", "SELECT count(*) FROM job_outcomes"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Inlined_rows_count_toward_the_storage_quota(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await PolicyTests.PutPolicyAsync(app, new { tenant_id = "acme", max_storage_gb = 1000 / (1024.0 * 1024 * 1024) });

        var refused = await app.IngestAsync("acme", "job_outcomes", Enumerable.Range(0, 20).Select(i => new { job_id = $"job-{i}", summary = new string('x', 80) }));

        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.Equal("0", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    private static async Task<string> RowsAtAsync(DataPlaneApp app, long? snapshot) =>
        (await app.QueryAsync("acme", "SELECT trace_id, step FROM event_log.agent_traces ORDER BY 1", snapshot is null ? "" : $"&lake_snapshot_id={snapshot}"))
        .GetProperty("rows").GetRawText();
}
