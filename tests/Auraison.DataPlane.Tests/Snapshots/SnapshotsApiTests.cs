using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Snapshots;

public class SnapshotsApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, object?> WorldModel(string tenant, Guid? snapshotId = null, Guid? intentId = null, string timestamp = "2026-11-27T10:00:00Z") => new()
    {
        ["snapshot_id"] = snapshotId,
        ["intent_id"] = intentId ?? Guid.Parse("7d1f7e0e-0000-4000-8000-000000000001"),
        ["timestamp"] = timestamp,
        ["agents_active"] = new[] { new { role = "planner", status = "running", tool_call_count = 3 } },
        ["user_plane"] = new { torch = new { jobs_in_flight = 2, gpu_util = 0.75 }, ros = new { jobs_in_flight = 1, gpu_util = 0.1 } },
        ["causal_chain"] = new[] { new { intent_id = "i-0", job_id = "ray-1", outcome = "ok" } },
        ["tenant_id"] = tenant,
    };

    private static async Task<JsonElement> PostOkAsync(DataPlaneApp app, Dictionary<string, object?> body)
    {
        var response = await app.Client.PostAsJsonAsync("/data/snapshots", body, Ct);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {reply}");
        return reply;
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Replay_at_a_checkpoint_sees_the_lake_as_it_was_and_latest_sees_it_now(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "before" } });
        var checkpoint = await PostOkAsync(app, WorldModel("acme"));
        var id = checkpoint.GetProperty("snapshot_id").GetString();
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "after-1" }, new { job_id = "after-2" } });
        await app.IngestOkAsync("acme", "fleet.later_table", new object[] { new { x = 1 } });

        var replay = await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes", $"&as_of_snapshot={id}");
        var latest = await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes");
        var missingTable = await app.QueryRawAsync("acme", "SELECT * FROM fleet.later_table", $"&as_of_snapshot={id}");

        Assert.Equal("[[1]]", replay.GetProperty("rows").GetRawText());
        Assert.Equal(checkpoint.GetProperty("lake_snapshot_id").GetInt64(), replay.GetProperty("lake_snapshot_id").GetInt64());
        Assert.Equal("[[3]]", latest.GetProperty("rows").GetRawText());
        Assert.Equal(HttpStatusCode.BadRequest, missingTable.StatusCode);
        Assert.Contains("does not exist", await missingTable.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_snapshot_reads_back_with_its_lake_snapshot_and_is_queryable_as_a_table(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var id = Guid.NewGuid();
        var created = await PostOkAsync(app, WorldModel("acme", id));

        var document = await app.Client.GetFromJsonAsync<JsonElement>($"/data/snapshots/{id}?tenant_id=acme", Ct);

        Assert.Equal(id.ToString(), document.GetProperty("snapshot_id").GetString());
        Assert.Equal(created.GetProperty("lake_snapshot_id").GetInt64(), document.GetProperty("lake_snapshot_id").GetInt64());
        Assert.Equal("2026-11-27T10:00:00Z", document.GetProperty("timestamp").GetString());
        Assert.Equal(0.75, document.GetProperty("user_plane").GetProperty("torch").GetProperty("gpu_util").GetDouble());
        Assert.Equal("planner", document.GetProperty("agents_active")[0].GetProperty("role").GetString());
        Assert.Equal("acme", document.GetProperty("tenant_id").GetString());
        Assert.Equal("[[3]]", (await app.QueryAsync("acme", "SELECT agents_active[1].tool_call_count FROM world_model.snapshots")).GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task Listing_is_newest_first_and_filters_by_intent_and_time()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var intent = Guid.NewGuid();
        await PostOkAsync(app, WorldModel("acme", intentId: intent, timestamp: "2026-11-27T10:00:00Z"));
        await PostOkAsync(app, WorldModel("acme", intentId: intent, timestamp: "2026-11-27T11:00:00Z"));
        await PostOkAsync(app, WorldModel("acme", timestamp: "2026-11-27T12:00:00Z"));

        var all = await app.Client.GetFromJsonAsync<JsonElement>("/data/snapshots?tenant_id=acme", Ct);
        var forIntent = await app.Client.GetFromJsonAsync<JsonElement>($"/data/snapshots?tenant_id=acme&intent_id={intent}", Ct);
        var window = await app.Client.GetFromJsonAsync<JsonElement>("/data/snapshots?tenant_id=acme&from=2026-11-27T10:30:00Z&to=2026-11-27T11:30:00Z", Ct);
        var limited = await app.Client.GetFromJsonAsync<JsonElement>("/data/snapshots?tenant_id=acme&limit=1", Ct);

        Assert.Equal(["2026-11-27T12:00:00Z", "2026-11-27T11:00:00Z", "2026-11-27T10:00:00Z"],
            all.EnumerateArray().Select(s => s.GetProperty("timestamp").GetString()));
        Assert.Equal(2, forIntent.GetArrayLength());
        Assert.Equal("2026-11-27T11:00:00Z", window.EnumerateArray().Single().GetProperty("timestamp").GetString());
        Assert.Equal("2026-11-27T12:00:00Z", limited.EnumerateArray().Single().GetProperty("timestamp").GetString());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Reposting_the_same_snapshot_is_idempotent_and_a_different_body_conflicts(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var id = Guid.NewGuid();
        var first = await PostOkAsync(app, WorldModel("acme", id));
        var footprint = await app.FootprintAsync();

        var again = await PostOkAsync(app, WorldModel("acme", id));
        var different = await app.Client.PostAsJsonAsync("/data/snapshots", WorldModel("acme", id, timestamp: "2026-11-27T13:00:00Z"), Ct);

        Assert.Equal(first.GetRawText(), again.GetRawText());
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        Assert.Equal(footprint, await app.FootprintAsync());
        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM world_model.snapshots"));
    }

    public static TheoryData<string, int, string> Invalid => new()
    {
        { "intent_id", 400, "intent_id is required" },
        { "bad_intent", 400, "intent_id is required" },
        { "timestamp", 400, "timestamp is required" },
        { "bad_timestamp", 400, "timestamp is required" },
        { "tenant_id", 400, "tenant_id is required" },
        { "bad_snapshot_id", 400, "snapshot_id is required" },
        { "agents_as_text", 422, "agents_active" },
        { "gpu_util_as_text", 422, "user_plane" },
    };

    [Theory, MemberData(nameof(Invalid))]
    public async Task An_invalid_snapshot_is_a_problem_and_stores_nothing(string fault, int status, string detail)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var body = WorldModel("acme");
        switch (fault)
        {
            case "bad_intent": body["intent_id"] = "not-a-uuid"; break;
            case "bad_timestamp": body["timestamp"] = "last tuesday"; break;
            case "bad_snapshot_id": body["snapshot_id"] = 42; break;
            case "agents_as_text": body["agents_active"] = "planner"; break;
            case "gpu_util_as_text": body["user_plane"] = new { torch = new { gpu_util = "high" } }; break;
            default: body.Remove(fault); break;
        }
        var footprint = await app.FootprintAsync();

        var response = await app.Client.PostAsJsonAsync("/data/snapshots", body, Ct);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(footprint, await app.FootprintAsync());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Another_tenant_can_neither_read_nor_replay_a_snapshot(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var id = (await PostOkAsync(app, WorldModel("acme"))).GetProperty("snapshot_id").GetString();

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/data/snapshots/{id}?tenant_id=globex", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.QueryRawAsync("globex", "SELECT 1", $"&as_of_snapshot={id}")).StatusCode);
        Assert.Equal(0, (await app.Client.GetFromJsonAsync<JsonElement>("/data/snapshots?tenant_id=globex", Ct)).GetArrayLength());
    }

    [Fact]
    public async Task Lake_snapshots_list_what_each_commit_changed()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var reply = await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });

        var snapshots = await app.Client.GetFromJsonAsync<JsonElement>("/data/lake/snapshots?tenant_id=acme", Ct);

        var last = snapshots.EnumerateArray().Last();
        Assert.Equal(reply.GetProperty("lake_snapshot_id").GetInt64(), last.GetProperty("lake_snapshot_id").GetInt64());
        Assert.Equal("inlined_insert", last.GetProperty("changes")[0].GetProperty("kind").GetString());
        Assert.Equal("created_schema", snapshots[0].GetProperty("changes")[0].GetProperty("kind").GetString());
    }
}
