using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Policy;

public class PolicyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<JsonElement> PutPolicyAsync(DataPlaneApp app, object policy, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await app.Client.PutAsJsonAsync("/data/policy", policy, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {body}");
        return body;
    }

    [Fact]
    public async Task A_tenant_without_a_policy_has_no_limits()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var policy = (await app.Client.GetFromJsonAsync<JsonElement>("/data/policy/acme", Ct)).GetProperty("policy");

        Assert.Equal(JsonValueKind.Null, policy.GetProperty("retention_days").ValueKind);
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("allowed_tables").ValueKind);
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("max_storage_gb").ValueKind);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_policy_is_replaced_whole_versioned_audited_and_shown_with_exact_usage(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" }, new { job_id = "b" } });
        await PutPolicyAsync(app, new { tenant_id = "acme", retention_days = 30, max_storage_gb = 5.0 });

        var second = await PutPolicyAsync(app, new { tenant_id = "acme", allowed_tables = new[] { "job_outcomes", "event_log.*" } });
        var shown = await app.Client.GetFromJsonAsync<JsonElement>("/data/policy/acme", Ct);
        var audit = await app.Client.GetFromJsonAsync<JsonElement>("/data/policy/acme/audit", Ct);

        Assert.Equal(2, second.GetProperty("version").GetInt64());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("retention_days").ValueKind);
        Assert.Equal(mode == LakeMode.Embedded ? "anonymous" : "bootstrap", second.GetProperty("updated_by").GetString());
        var usage = shown.GetProperty("usage");
        var jobs = usage.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "main.job_outcomes");
        Assert.Equal(2, jobs.GetProperty("rows").GetInt64());
        Assert.Equal(1, jobs.GetProperty("files").GetInt64());
        var lake = await app.LakehouseAsync();
        await using var connection = await lake.Catalog.OpenAsync(Ct);
        Assert.Equal(await Lake.Catalog.DbConnectionExtensions.ScalarAsync<long>(connection, null,
            "SELECT CAST(sum(file_size_bytes) AS BIGINT) FROM ducklake_data_file WHERE end_snapshot IS NULL", Ct), usage.GetProperty("bytes").GetInt64());
        Assert.Equal([1L, 2L], audit.EnumerateArray().Select(a => a.GetProperty("version").GetInt64()));
        Assert.Equal(30, audit[1].GetProperty("old").GetProperty("retention_days").GetInt32());
        Assert.Equal(JsonValueKind.Null, audit[0].GetProperty("old").ValueKind);
    }

    [Theory]
    [InlineData("""{"tenant_id":"acme","retention_days":0}""", "retention_days")]
    [InlineData("""{"tenant_id":"acme","max_storage_gb":-1}""", "max_storage_gb")]
    [InlineData("""{"tenant_id":"acme","allowed_tables":["Bad-Name"]}""", "allowed_tables")]
    [InlineData("""{"retention_days":3}""", "tenant_id is required")]
    public async Task An_invalid_policy_is_400(string body, string detail)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.Client.PutAsync("/data/policy", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_management_keys_change_policies()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, new Dictionary<string, string?> { ["DataPlane:Auth:Enabled"] = "true" });
        var tenantKey = await app.CreateKeyAsync("acme", "policy");

        var own = await app.ClientWith(tenantKey).PutAsJsonAsync("/data/policy", new { tenant_id = "acme", max_storage_gb = 100.0 }, Ct);
        var read = await app.ClientWith(tenantKey).GetAsync("/data/policy/acme", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Allowed_tables_block_sql_listing_and_retrieval_alike(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a", summary = "gpu job failed" } });
        await app.IngestOkAsync("acme", "event_log.agent_traces", new object[] { new { text = "planner picked the gpu job" } });
        await PutPolicyAsync(app, new { tenant_id = "acme", allowed_tables = new[] { "event_log.*" } });

        var sql = await app.QueryRawAsync("acme", "SELECT * FROM job_outcomes");
        var allowed = await app.QueryRawAsync("acme", "SELECT count(*) FROM event_log.agent_traces");
        var listing = await app.Client.GetFromJsonAsync<JsonElement>("/data/tables?tenant_id=acme", Ct);
        var one = await app.Client.GetAsync("/data/tables/job_outcomes?tenant_id=acme", Ct);
        var retrieveTable = await app.Client.GetAsync("/data/retrieve?tenant_id=acme&query=gpu&table=job_outcomes", Ct);
        for (var i = 0; i < 600 && (await app.Client.GetFromJsonAsync<JsonElement>("/data/retrieve/status?tenant_id=acme", Ct)).GetProperty("pending_requests").GetInt64() > 0; i++)
            await Task.Delay(100, Ct);
        var retrieveAll = await app.Client.GetFromJsonAsync<JsonElement>("/data/retrieve?tenant_id=acme&query=gpu%20job&top_k=10", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, sql.StatusCode);
        Assert.Contains("main.job_outcomes", await sql.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var names = listing.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain("main.job_outcomes", names);
        Assert.Contains("event_log.agent_traces", names);
        Assert.Equal(HttpStatusCode.Forbidden, one.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, retrieveTable.StatusCode);
        Assert.All(retrieveAll.EnumerateArray(), h => Assert.Equal("event_log.agent_traces", h.GetProperty("metadata").GetProperty("table").GetString()));
        Assert.Single(retrieveAll.EnumerateArray());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_ingest_past_the_storage_quota_is_507_and_leaves_nothing_behind(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "first" } });
        var lake = await app.LakehouseAsync();
        var used = (await app.Client.GetFromJsonAsync<JsonElement>("/data/policy/acme", Ct)).GetProperty("usage").GetProperty("bytes").GetInt64();
        await PutPolicyAsync(app, new { tenant_id = "acme", max_storage_gb = (used + 100) / (1024.0 * 1024 * 1024) });
        var footprint = await app.FootprintAsync();
        var objects = await lake.Storage.ListAsync(lake.DataPath, Ct).CountAsync(Ct);

        var refused = await app.IngestAsync("acme", "job_outcomes", Enumerable.Range(0, 50).Select(i => new { job_id = $"job-{i}", summary = new string('x', 40) }));
        var otherTenant = await app.IngestAsync("globex", "job_outcomes", new object[] { new { job_id = "g" } });

        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.Contains("quota", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, otherTenant.StatusCode);
        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
        var after = await app.FootprintAsync();
        Assert.Equal(footprint.Lineage + 1, after.Lineage);
        Assert.Equal(objects + 1, await lake.Storage.ListAsync(lake.DataPath, Ct).CountAsync(Ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retention_removes_exactly_the_expired_rows_and_their_files(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync("acme", "event_log.agent_traces", new object[] { new { text = "old 1" }, new { text = "old 2" } });
        await app.IngestOkAsync("globex", "event_log.agent_traces", new object[] { new { text = "other tenant, same age" } });
        var boundary = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        await app.IngestOkAsync("acme", "event_log.agent_traces", new object[] { new { text = "new" } });
        var lake = await app.LakehouseAsync();
        var oldFiles = await FilesAsync(app, "acme", "old 1");
        await PutPolicyAsync(app, new { tenant_id = "acme", retention_days = 1 });
        time.Now = boundary.AddDays(1);

        var dry = await app.Client.PostAsync("/data/policy/acme/retention?dry_run=true", null, Ct);
        Assert.Equal(2, (await dry.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("tables")[0].GetProperty("rows").GetInt64());
        Assert.Equal("3", await app.ScalarAsync("acme", "SELECT count(*) FROM event_log.agent_traces"));
        var run = await app.Client.PostAsync("/data/policy/acme/retention?dry_run=false", null, Ct);

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal("""[["new"]]""", (await app.QueryAsync("acme", "SELECT text FROM event_log.agent_traces")).GetProperty("rows").GetRawText());
        Assert.Equal("1", await app.ScalarAsync("globex", "SELECT count(*) FROM event_log.agent_traces"));
        foreach (var file in oldFiles) Assert.False(await lake.Storage.ExistsAsync(file, Ct), $"{file} should be deleted");
        Assert.True((await FilesAsync(app, "acme", "new")).All(f => lake.Storage.ExistsAsync(f, Ct).Result));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retention_of_one_tenant_leaves_other_tenants_time_travel_whole(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "old" } });
        var before = (await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex old" } }))
            .GetProperty("lake_snapshot_id").GetInt64();
        var boundary = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "new" } });
        var oldFiles = await FilesAsync(app, "acme", "old", table: "job_outcomes", column: "job_id");
        var lake = await app.LakehouseAsync();
        await PutPolicyAsync(app, new { tenant_id = "acme", retention_days = 1 });
        time.Now = boundary.AddDays(1);

        (await app.Client.PostAsync("/data/policy/acme/retention?dry_run=false", null, Ct)).EnsureSuccessStatusCode();

        var globexThen = await app.QueryAsync("globex", "SELECT job_id FROM job_outcomes", $"&lake_snapshot_id={before}");
        var acmeThen = await app.QueryRawAsync("acme", "SELECT job_id FROM job_outcomes", $"&lake_snapshot_id={before}");
        Assert.Equal("""[["globex old"]]""", globexThen.GetProperty("rows").GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, acmeThen.StatusCode);
        Assert.Equal("""[["new"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes")).GetProperty("rows").GetRawText());
        Assert.All(oldFiles, f => Assert.False(lake.Storage.ExistsAsync(f, Ct).Result));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retention_keeps_snapshots_pinned_by_live_checkpoints_until_those_expire_too(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "old" } });
        var boundary = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        var checkpoint = await app.Client.PostAsJsonAsync("/data/snapshots", new
        {
            intent_id = Guid.NewGuid(), timestamp = "2026-11-27T10:00:00Z", agents_active = Array.Empty<object>(), tenant_id = "acme",
        }, Ct);
        var snapshotId = (await checkpoint.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("snapshot_id").GetString();
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "new" } });
        var oldFiles = await FilesAsync(app, "acme", "old", table: "job_outcomes", column: "job_id");
        var lake = await app.LakehouseAsync();
        await PutPolicyAsync(app, new { tenant_id = "acme", retention_days = 1 });

        time.Now = boundary.AddDays(1);
        await app.Client.PostAsync("/data/policy/acme/retention?dry_run=false", null, Ct);

        Assert.Equal("[[\"new\"]]", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes")).GetProperty("rows").GetRawText());
        Assert.Equal("[[\"old\"]]", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes", $"&as_of_snapshot={snapshotId}")).GetProperty("rows").GetRawText());
        Assert.All(oldFiles, f => Assert.True(lake.Storage.ExistsAsync(f, Ct).Result));

        time.Now = DateTimeOffset.UtcNow.AddDays(2);
        await app.Client.PostAsync("/data/policy/acme/retention?dry_run=false", null, Ct);

        Assert.Equal(HttpStatusCode.NotFound, (await app.QueryRawAsync("acme", "SELECT 1", $"&as_of_snapshot={snapshotId}")).StatusCode);
        Assert.All(oldFiles, f => Assert.False(lake.Storage.ExistsAsync(f, Ct).Result));
    }

    [Fact]
    public async Task A_policy_changed_through_another_replica_applies_here_within_the_reuse_time()
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production, services: s => s.AddSingleton<TimeProvider>(time));
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "before" } });
        await using var other = new DataPlaneFactory(new Dictionary<string, string?>(app.Lake.HostConfiguration)
        {
            ["DataPlane:DataDir"] = Path.Combine(app.Lake.WorkDirectory, "replica-2"),
        });
        using var otherClient = other.CreateAuthorizedClient();

        (await otherClient.PutAsJsonAsync("/data/policy", new { tenant_id = "acme", allowed_tables = new[] { "event_log.*" } }, Ct)).EnsureSuccessStatusCode();
        var meanwhile = await app.QueryRawAsync("acme", "SELECT * FROM job_outcomes");
        time.Now += Auraison.DataPlane.Policy.PolicyStore.Reuse;
        var after = await app.QueryRawAsync("acme", "SELECT * FROM job_outcomes");

        Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
    }

    /// <summary>Object paths of the tenant's data files holding a row with the given value.</summary>
    private static async Task<List<string>> FilesAsync(DataPlaneApp app, string tenant, string value, string table = "agent_traces", string column = "text")
    {
        var lake = await app.LakehouseAsync();
        var content = await lake.ReadAsync(Lake.Model.SnapshotSelector.Latest, Ct, new(t => t.Name == table));
        var files = content.Data.Values.SelectMany(d => d.Files).Where(f => f.PartitionValues.FirstOrDefault() == tenant).ToList();
        List<string> matching = [];
        await using var work = lake.OpenWorkConnection();
        foreach (var file in files)
        {
            var local = await lake.Storage.GetLocalPathAsync(file.Path, Ct);
            var count = await Lake.Catalog.DbConnectionExtensions.ScalarAsync<long>(work, null,
                $"SELECT count(*) FROM read_parquet('{local}') WHERE \"{column}\" = '{value}'", Ct);
            if (count > 0) matching.Add(file.Path);
        }
        Assert.NotEmpty(matching);
        return matching;
    }
}
