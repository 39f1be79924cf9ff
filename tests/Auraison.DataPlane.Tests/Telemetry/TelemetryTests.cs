using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Auraison.DataPlane.Tests.Telemetry;

public class TelemetryTests
{
    private static async Task<string> ScrapeAsync(DataPlaneApp app)
    {
        var response = await app.Client.GetAsync("/metrics", DataPlaneApp.Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(DataPlaneApp.Ct);
    }

    private static string Line(string metrics, params string[] parts) =>
        metrics.Split('\n').FirstOrDefault(line => !line.StartsWith('#') && parts.All(p => line.Contains(p, StringComparison.Ordinal)))
        ?? throw new Xunit.Sdk.XunitException($"no metric line with {string.Join(" ", parts)}");

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_scrape_endpoint_counts_ingested_rows_and_requests_per_table_and_tenant_and_the_stores_calls(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("tele", "telemetry_probe", new object[] { new { n = 1 }, new { n = 2 }, new { n = 3 } });
        await app.IngestOkAsync("tele", "telemetry_probe", new object[] { new { n = 4 } });

        var metrics = await ScrapeAsync(app);

        Assert.EndsWith(" 4", Line(metrics, "dataplane_ingest_rows_total{", "table=\"main.telemetry_probe\"", "tenant=\"tele\"").TrimEnd());
        Assert.EndsWith(" 2", Line(metrics, "dataplane_ingest_requests_total{", "outcome=\"stored\"", "table=\"main.telemetry_probe\"").TrimEnd());
        Assert.Contains("dataplane_ingest_queue_depth", metrics, StringComparison.Ordinal);
        Assert.Contains("dataplane_commit_requests_bucket{", metrics, StringComparison.Ordinal);
        Line(metrics, "lake_storage_calls_total{", "operation=\"upload\"", "outcome=\"ok\"");
    }

    [Fact]
    public async Task The_indexers_lag_is_measured_for_each_request_it_embeds()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "j1", summary = "trained to convergence" } });
        for (var i = 0; i < 600 && (await app.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/data/retrieve/status?tenant_id=acme", DataPlaneApp.Ct))
                 .GetProperty("pending_requests").GetInt64() > 0; i++)
            await Task.Delay(100, DataPlaneApp.Ct);

        var metrics = await ScrapeAsync(app);

        // At least this request's (services running beside this one in the test process may add theirs).
        Assert.True(long.Parse(Line(metrics, "dataplane_indexer_lag_seconds_count").Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task The_scrape_endpoint_needs_a_management_key()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, new Dictionary<string, string?> { ["DataPlane:Auth:Enabled"] = "true" });
        var tenantKey = await app.CreateKeyAsync("acme", "query", "ingest");

        var anonymous = await app.ClientWith(null).GetAsync("/metrics", DataPlaneApp.Ct);
        var tenant = await app.ClientWith(tenantKey).GetAsync("/metrics", DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tenant.StatusCode);
        Assert.Equal("application/problem+json", tenant.Content.Headers.ContentType?.MediaType);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_ingest_requests_trace_links_to_the_group_commit_that_uploaded_and_committed_its_rows(LakeMode mode)
    {
        List<Activity> spans = [];
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly,
            services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));

        // The caller's trace, so this test finds its own spans among those of every service running in the test process.
        var trace = ActivityTraceId.CreateRandom();
        var ingest = new HttpRequestMessage(HttpMethod.Post, "/data/ingest")
        {
            Content = JsonContent.Create(new { table = "traced", tenant_id = "acme", job_id = "j", schema_version = "1", records = new[] { new { n = 1 } } }),
        };
        ingest.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        Assert.Equal(HttpStatusCode.Created, (await app.Client.SendAsync(ingest, DataPlaneApp.Ct)).StatusCode);
        // The reply can arrive before the server's and the commit's spans end: wait for them (5 s at most).
        List<Activity> seen = [];
        for (var i = 0; i < 50 && (!seen.Any(s => s.OperationName == "ingest.commit" && s.Links.Any(l => l.Context.TraceId == trace))
                                  || !seen.Any(s => s.Kind == ActivityKind.Server && s.TraceId == trace)); i++)
        {
            await Task.Delay(100, DataPlaneApp.Ct);
            app.Factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
            lock (spans) seen = [.. spans];
        }

        Assert.Single(seen, s => s.Kind == ActivityKind.Server && s.TraceId == trace);
        var commit = seen.Single(s => s.OperationName == "ingest.commit" && s.Links.Any(l => l.Context.TraceId == trace));
        Assert.Contains(seen, s => s.OperationName == "lake.upload" && s.ParentSpanId == commit.SpanId);
        Assert.Contains(seen, s => s.OperationName == "lake.commit" && s.ParentSpanId == commit.SpanId);
    }
}
