using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Tables;

public class TablesApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_platform_tables_exist_from_the_start_with_their_core_columns(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);

        var tables = await app.Client.GetFromJsonAsync<JsonElement>("/data/tables?tenant_id=acme", Ct);

        var names = tables.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Subset(names.ToHashSet(), new HashSet<string?> { "event_log.agent_traces", "event_log.object_detections",
            "event_log.ros_navigation_trials", "main.job_outcomes", "main.experiments", "main.simulation_runs" });
        var detections = tables.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "event_log.object_detections");
        Assert.Contains(detections.GetProperty("columns").EnumerateArray(), c =>
            c.GetProperty("name").GetString() == "bbox" && c.GetProperty("type").GetString() == "STRUCT(x DOUBLE, y DOUBLE, w DOUBLE, h DOUBLE)");
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Row_counts_and_last_change_are_the_tenants_own(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var acme = await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" }, new { job_id = "b" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "c" } });

        var table = await app.Client.GetFromJsonAsync<JsonElement>("/data/tables/job_outcomes?tenant_id=acme", Ct);

        Assert.Equal(2, table.GetProperty("row_count").GetInt64());
        Assert.Equal(acme.GetProperty("lake_snapshot_id").GetInt64(), table.GetProperty("last_change").GetProperty("lake_snapshot_id").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_listing_shows_the_next_commit_and_policy_change_at_once(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        async Task<long?> JobOutcomesRowsAsync() => (await app.Client.GetFromJsonAsync<JsonElement>("/data/tables?tenant_id=acme", Ct)).EnumerateArray()
            .Where(t => t.GetProperty("name").GetString() == "main.job_outcomes").Select(t => (long?)t.GetProperty("row_count").GetInt64()).SingleOrDefault();
        var empty = await JobOutcomesRowsAsync();

        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var afterCommit = await JobOutcomesRowsAsync();
        await Policy.PolicyTests.PutPolicyAsync(app, new { tenant_id = "acme", allowed_tables = new[] { "event_log.*" } });
        var afterPolicy = await JobOutcomesRowsAsync();

        Assert.Equal(0, empty);
        Assert.Equal(1, afterCommit);
        Assert.Null(afterPolicy);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_listing_refreshed_from_the_commits_since_equals_one_read_afresh(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        async Task<string> ListingAsync() => (await app.Client.GetFromJsonAsync<JsonElement>("/data/tables?tenant_id=acme", Ct)).GetRawText();
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        await ListingAsync();
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b", new_field = 2.5 } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "c" } });
        await app.IngestOkAsync("acme", "event_log.agent_traces", new object[] { new { text = "t" } });

        var refreshed = await ListingAsync();
        app.Restart();

        Assert.Equal(await ListingAsync(), refreshed);
    }

    [Fact]
    public async Task An_unknown_table_is_404_and_a_bad_name_400()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/data/tables/nothing_here?tenant_id=acme", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync("/data/tables/Bad-Name?tenant_id=acme", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync("/data/tables", Ct)).StatusCode);
    }

    [Fact]
    public async Task Declaring_a_table_twice_is_idempotent_and_with_other_columns_a_conflict()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var body = new { columns = new[] { new { name = "sensor", type = "VARCHAR" } }, partition_by = new[] { "sensor" } };

        var created = await app.Client.PutAsJsonAsync("/data/tables/iot.readings", body, Ct);
        var again = await app.Client.PutAsJsonAsync("/data/tables/iot.readings", body, Ct);
        var other = await app.Client.PutAsJsonAsync("/data/tables/iot.readings", new { columns = new[] { new { name = "sensor", type = "BIGINT" } } }, Ct);
        var badType = await app.Client.PutAsJsonAsync("/data/tables/iot.other", new { columns = new[] { new { name = "x", type = "NOT_A_TYPE" } } }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
    }
}
