using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Ingest;

/// <summary>A request's failure is its own: the others of its commit still commit, the service sheds load instead of queueing without bound, and nothing a failed commit uploaded lingers.</summary>
public class IngestIsolationTests
{
    private static CancellationToken Ct => DataPlaneApp.Ct;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_value_only_DuckDB_refuses_fails_its_own_request_and_the_rest_of_its_commit_lands(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?> { ["DataPlane:Ingest:LingerMilliseconds"] = "100" });
        var declared = await app.Client.PutAsJsonAsync("/data/tables/main.payments",
            new { columns = new[] { new { name = "payment_id", type = "VARCHAR" }, new { name = "amount", type = "DECIMAL(4,2)" } } }, Ct);
        Assert.True(declared.IsSuccessStatusCode, await declared.Content.ReadAsStringAsync(Ct));

        // A DECIMAL(4,2) holds at most 99.99: only DuckDB's conversion knows, so only the commit finds out.
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            app.IngestAsync($"tenant-{i % 3}", "main.payments", new object[] { new { payment_id = $"p{i}", amount = i == 7 ? 1000 : i + 0.5 } })));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, responses[7].StatusCode);
        Assert.Contains("could not be stored", await responses[7].Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.All(responses.Where((_, i) => i != 7), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal("3", await app.ScalarAsync("tenant-1", "SELECT count(*) FROM main.payments"));
        Assert.Equal("4", await app.ScalarAsync("tenant-0", "SELECT count(*) FROM main.payments"));
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_and_keeps_what_it_took()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, new Dictionary<string, string?>
        {
            ["DataPlane:Ingest:MaxQueuedRequests"] = "1",
            ["DataPlane:Ingest:MaxBatchRequests"] = "1",
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            app.IngestAsync("acme", "job_outcomes", new object[] { new { job_id = $"j{i}" } })));

        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(r.Headers.RetryAfter is not null, "Retry-After"));
        Assert.All(refused, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.ServiceUnavailable }));
        Assert.Equal((40 - refused.Count).ToString(CultureInfo.InvariantCulture), await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    [Fact]
    public async Task One_idempotency_key_sent_to_two_replicas_at_once_stores_once_answers_both_alike_and_leaves_no_orphan()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Production);
        await using var first = await ServiceProcess.StartAsync(lake, "replica-1");
        await using var second = await ServiceProcess.StartAsync(lake, "replica-2");
        // Large enough to be staged and uploaded before the commit, so the losing replica has uploads to clean up.
        var body = JsonSerializer.Serialize(new
        {
            table = "job_outcomes", tenant_id = "acme", job_id = "ray-42", schema_version = "1",
            records = Enumerable.Range(0, 3000).Select(i => new { job_id = $"j{i}", status = "ok" }),
        });

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var key = $"ray-42-attempt-{attempt}";
            var replies = await Task.WhenAll(new[] { first, second }.Select(replica =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/data/ingest") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", key);
                return replica.Client.SendAsync(request, Ct);
            }));

            Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            var bodies = await Task.WhenAll(replies.Select(r => r.Content.ReadFromJsonAsync<JsonElement>(Ct)));
            Assert.Equal(bodies[0].GetProperty("partition_id").GetString(), bodies[1].GetProperty("partition_id").GetString());
        }

        var count = await first.Client.GetFromJsonAsync<JsonElement>("/data/query?tenant_id=acme&sql=SELECT%20count(*)%20FROM%20job_outcomes", Ct);
        Assert.Equal("[[15000]]", count.GetProperty("rows").GetRawText());
        Assert.Empty(await OrphansAsync(lake));
    }

    /// <summary>Objects under the lake's data path that no catalog row names.</summary>
    private static async Task<List<string>> OrphansAsync(TestLake test)
    {
        await using var lake = await Lake.Lakehouse.OpenAsync(test.Settings with { WorkDirectory = Path.Combine(test.WorkDirectory, "check") }, Ct);
        var report = await Lake.Maintenance.FileCleanup.DeleteOrphanedFilesAsync(lake, DateTimeOffset.UtcNow.AddMinutes(1), dryRun: true, Ct);
        return [.. report.Files];
    }
}
