using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Hosting;

/// <summary>
/// A store the service needs goes away under it and comes back: requests fail at once with 503 and Retry-After,
/// readiness names the store, nothing of a failed request is stored, and the service heals without a restart.
/// Each test runs servers of its own, stopped and started for real.
/// </summary>
public class FaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_postgresql_stopped_ingest_and_query_answer_503_and_the_service_heals_when_it_returns()
    {
        await using var servers = await PrivateServers.StartAsync();
        await using var lake = await TestLake.CreateOnAsync(servers.Servers);
        await using var service = await ServiceProcess.StartAsync(lake);
        await IngestAsync(service, "before", HttpStatusCode.Created);

        await servers.StopPostgresAsync();
        await IngestAsync(service, "during", HttpStatusCode.ServiceUnavailable);
        await Task.Delay(Auraison.DataPlane.Policy.PolicyStore.Reuse, Ct); // past what the service may answer from memory
        await AssertUnavailableAsync(await service.Client.GetAsync(QueryUrl, Ct));
        Assert.Equal("unhealthy", (await ChecksAsync(service))["catalog"]);

        await servers.StartPostgresAsync();
        await service.WaitAsync("/health/ready");
        await IngestAsync(service, "after", HttpStatusCode.Created);

        Assert.Equal(["after", "before"], await JobIdsAsync(service));
    }

    [Fact]
    public async Task With_the_object_store_unreachable_ingest_answers_503_stores_nothing_and_the_service_heals_when_it_returns()
    {
        await using var servers = await PrivateServers.StartAsync();
        await using var lake = await TestLake.CreateOnAsync(servers.Servers);
        await using var service = await ServiceProcess.StartAsync(lake, settings: DataPlaneApp.FilesOnly);
        await IngestAsync(service, "before", HttpStatusCode.Created);

        await servers.StopS3Async();
        await IngestAsync(service, "during", HttpStatusCode.ServiceUnavailable);
        var checks = await ChecksAsync(service);
        Assert.Equal("unhealthy", checks["object_store"]);
        Assert.Equal("healthy", checks["catalog"]);

        await servers.StartS3Async();
        await service.WaitAsync("/health/ready");
        await IngestAsync(service, "after", HttpStatusCode.Created);

        Assert.Equal(["after", "before"], await JobIdsAsync(service));
        var lineage = await service.Client.GetFromJsonAsync<JsonElement>(
            "/data/query?tenant_id=acme&sql=" + Uri.EscapeDataString("SELECT count(*) FROM lineage.ingests"), Ct);
        Assert.Equal(2, lineage.GetProperty("rows")[0][0].GetInt64());
        using var s3 = servers.Servers.CreateS3Client();
        var objects = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = TestServers.Bucket, Prefix = lake.Schema + "/" }, Ct);
        Assert.Equal(2, objects.S3Objects?.Count ?? 0);
    }

    private static string QueryUrl => "/data/query?tenant_id=acme&sql=" + Uri.EscapeDataString("SELECT job_id FROM job_outcomes ORDER BY job_id");

    private static async Task IngestAsync(ServiceProcess service, string jobId, HttpStatusCode expected)
    {
        var response = await service.Client.PostAsJsonAsync("/data/ingest", new
        {
            table = "job_outcomes", tenant_id = "acme", job_id = jobId, schema_version = "1", records = new[] { new { job_id = jobId } },
        }, Ct);
        if (expected == HttpStatusCode.ServiceUnavailable) await AssertUnavailableAsync(response);
        else Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {body}");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<Dictionary<string, string?>> ChecksAsync(ServiceProcess service)
    {
        var ready = await service.Client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        return (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
    }

    private static async Task<List<string>> JobIdsAsync(ServiceProcess service) =>
        (await service.Client.GetFromJsonAsync<JsonElement>(QueryUrl, Ct)).GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()!).ToList();
}
