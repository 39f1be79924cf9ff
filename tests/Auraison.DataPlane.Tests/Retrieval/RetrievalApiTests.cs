using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Retrieval;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Retrieval;

public class RetrievalApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task IndexedAsync(DataPlaneApp app, string tenant)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var status = await app.Client.GetFromJsonAsync<JsonElement>($"/data/retrieve/status?tenant_id={tenant}", Ct);
            if (status.GetProperty("pending_requests").GetInt64() == 0) return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("the indexer did not catch up within 60 s");
    }

    private static async Task<List<JsonElement>> RetrieveAsync(DataPlaneApp app, string tenant, string query, string extra = "")
    {
        var response = await app.Client.GetAsync($"/data/retrieve?tenant_id={tenant}&query={Uri.EscapeDataString(query)}{extra}", Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return body.EnumerateArray().ToList();
    }

    private static async Task<DataPlaneApp> WithCorpusAsync(LakeMode mode, string tenant = "acme")
    {
        var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync(tenant, "job_outcomes", JobHistoryCorpus.Records().ToArray());
        await IndexedAsync(app, tenant);
        return app;
    }

    [Fact]
    public async Task A_first_start_on_an_empty_database_creates_pgvector_and_retrieves_without_a_restart()
    {
        await using var app = DataPlaneApp.StartOn(await TestLake.CreateInEmptyDatabaseAsync());
        var ready = await app.Client.GetAsync("/health/ready", Ct);
        var before = await RetrieveAsync(app, "acme", "gpu job failed");

        await app.IngestOkAsync("acme", "job_outcomes", JobHistoryCorpus.Records().ToArray());
        await IndexedAsync(app, "acme");
        var after = await RetrieveAsync(app, "acme", JobHistoryCorpus.Needles[0].Question, "&top_k=3");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Empty(before);
        Assert.Contains(after, h => h.GetProperty("metadata").GetProperty("job_id").GetString() == JobHistoryCorpus.Needles[0].JobId);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_paraphrase_that_shares_few_words_finds_its_job_in_the_top_three(LakeMode mode)
    {
        await using var app = await WithCorpusAsync(mode);

        foreach (var searchMode in new[] { "vector", "hybrid" })
            foreach (var needle in JobHistoryCorpus.Needles)
            {
                var hits = await RetrieveAsync(app, "acme", needle.Question, $"&top_k=3&mode={searchMode}");
                Assert.True(hits.Any(h => h.GetProperty("metadata").GetProperty("job_id").GetString() == needle.JobId),
                    $"{searchMode}: '{needle.Question}' → {string.Join(" | ", hits.Select(h => h.GetProperty("text").GetString()))}");
            }
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Results_come_best_first_with_text_score_and_metadata_and_respect_filters(LakeMode mode)
    {
        await using var app = await WithCorpusAsync(mode);

        var top = await RetrieveAsync(app, "acme", "evaluation sweep", "&top_k=7&mode=vector");
        var failed = await RetrieveAsync(app, "acme", "evaluation sweep", "&top_k=5&meta.status=failed");
        var window = await RetrieveAsync(app, "acme", "robot", "&top_k=50&from=2026-11-20T00:00:00Z&to=2026-11-20T23:59:59Z");
        var keyword = await RetrieveAsync(app, "acme", "Gazebo segfaulted", "&mode=keyword&top_k=1");
        var otherTable = await RetrieveAsync(app, "acme", "evaluation sweep", "&table=event_log.agent_traces");

        Assert.Equal(7, top.Count);
        Assert.Equal(top.Select(h => h.GetProperty("score").GetDouble()).OrderDescending(), top.Select(h => h.GetProperty("score").GetDouble()));
        Assert.All(top, h => Assert.Equal("main.job_outcomes", h.GetProperty("metadata").GetProperty("table").GetString()));
        Assert.All(top, h => Assert.False(string.IsNullOrEmpty(h.GetProperty("id").GetString())));
        Assert.All(failed, h => Assert.Equal("failed", h.GetProperty("metadata").GetProperty("status").GetString()));
        Assert.Equal(5, failed.Count);
        Assert.Equal(JobHistoryCorpus.Needles.Length, window.Count);
        Assert.Equal("needle-segfault", keyword.Single().GetProperty("metadata").GetProperty("job_id").GetString());
        Assert.Empty(otherTable);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Another_tenant_retrieves_nothing_of_the_first_ones(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", JobHistoryCorpus.Needles.Select(n => new { job_id = n.JobId, summary = n.Summary }).ToArray());
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex-job", summary = "Globex routine job" } });
        await IndexedAsync(app, "acme");
        await IndexedAsync(app, "globex");

        var hits = await RetrieveAsync(app, "globex", JobHistoryCorpus.Needles[0].Question, "&top_k=20");

        Assert.Equal(["globex-job"], hits.Select(h => h.GetProperty("metadata").GetProperty("job_id").GetString()));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Server_Timing_tells_the_query_embedding_apart_from_the_search(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", JobHistoryCorpus.Records().Take(3).ToArray());
        await IndexedAsync(app, "acme");

        var response = await app.Client.GetAsync("/data/retrieve?tenant_id=acme&query=gripper%20slipped&mode=vector", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches(@"^embed;dur=\d+\.\d, search;dur=\d+\.\d$", Assert.Single(response.Headers.GetValues("Server-Timing")));
    }

    [Theory]
    [InlineData("tenant_id=acme", "query is required")]
    [InlineData("query=x", "tenant_id is required")]
    [InlineData("tenant_id=acme&query=x&top_k=0", "top_k")]
    [InlineData("tenant_id=acme&query=x&top_k=1000", "top_k")]
    [InlineData("tenant_id=acme&query=x&mode=fuzzy", "mode must be")]
    [InlineData("tenant_id=acme&query=x&table=Bad-Table", "Invalid table")]
    [InlineData("tenant_id=acme&query=x&from=someday", "not an ISO-8601")]
    [InlineData("tenant_id=acme&query=x&meta.bad%20key=1", "Invalid metadata filter")]
    public async Task Bad_parameters_are_400_problems(string query, string detail)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.Client.GetAsync($"/data/retrieve?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_indexer_killed_midway_resumes_after_restart_without_losing_or_repeating_rows(LakeMode mode)
    {
        // A lease of a second: the restarted replica takes up what the "crashed" one had claimed a second later.
        var noIndexer = new Dictionary<string, string?> { ["DataPlane:Retrieval:IndexerEnabled"] = "false", ["DataPlane:Retrieval:IndexerLeaseSeconds"] = "1" };
        await using var test = await TestLake.CreateAsync(mode);
        var configuration = new Dictionary<string, string?>(test.HostConfiguration);
        foreach (var (key, value) in noIndexer) configuration[key] = value;
        await using (var first = new DataPlaneFactory(configuration))
        {
            var client = first.CreateAuthorizedClient();
            for (var request = 0; request < 3; request++)
            {
                var response = await client.PostAsJsonAsync("/data/ingest", new
                {
                    table = "job_outcomes", tenant_id = "acme", job_id = $"j{request}", schema_version = "1",
                    records = Enumerable.Range(0, 5).Select(i => new { job_id = $"r{request}-{i}", summary = $"run {request}-{i} finished" }),
                }, Ct);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }
            // Index one request's rows but "crash" before its outbox entry is removed.
            var lake = await first.Services.GetRequiredService<Auraison.DataPlane.Hosting.LakeAccessor>().GetAsync(Ct);
            var pending = await first.Services.GetRequiredService<EmbeddingOutbox>().ClaimAsync(lake, 10, Ct);
            Assert.Equal(3, pending.Count);
            var source = (await RetrievalSources.ListAsync(lake, Ct)).Single(s => s.Table == "main.job_outcomes");
            await first.Services.GetRequiredService<EmbeddingIndexer>().IndexAsync(pending[0], source, Ct);
        }

        configuration["DataPlane:Retrieval:IndexerEnabled"] = "true";
        await using var second = new DataPlaneFactory(configuration);
        var restarted = second.CreateAuthorizedClient();
        JsonElement status = default;
        for (var attempt = 0; attempt < 600; attempt++)
        {
            status = await restarted.GetFromJsonAsync<JsonElement>("/data/retrieve/status?tenant_id=acme", Ct);
            if (status.GetProperty("pending_requests").GetInt64() == 0) break;
            await Task.Delay(100, Ct);
        }

        Assert.Equal(0, status.GetProperty("pending_requests").GetInt64());
        Assert.Equal(15, status.GetProperty("indexed_documents").GetInt64());
        var hits = await restarted.GetFromJsonAsync<JsonElement>("/data/retrieve?tenant_id=acme&query=finished&top_k=100&mode=vector", Ct);
        var jobs = hits.EnumerateArray().Select(h => h.GetProperty("metadata").GetProperty("job_id").GetString()).ToList();
        Assert.Equal(15, jobs.Count);
        Assert.Equal(15, jobs.Distinct().Count());
    }
}
