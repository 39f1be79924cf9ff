using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Retrieval;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Hosting;

/// <summary>Several service processes on one PostgreSQL catalog and one bucket, as replicas behind a load balancer.</summary>
public class ReplicaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_replicas_indexers_share_the_outbox_embedding_every_row_once()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Production);
        await using var first = new DataPlaneFactory(Settings(lake, "replica-1"));
        await using var second = new DataPlaneFactory(Settings(lake, "replica-2"));
        var clients = new[] { first.CreateAuthorizedClient(), second.CreateAuthorizedClient() };
        const int requests = 24, rowsPerRequest = 5;

        await Task.WhenAll(Enumerable.Range(0, requests).Select(async request =>
        {
            var response = await clients[request % 2].PostAsJsonAsync("/data/ingest", new
            {
                table = "job_outcomes", tenant_id = "acme", job_id = $"j{request}", schema_version = "1",
                records = Enumerable.Range(0, rowsPerRequest).Select(i => new { job_id = $"r{request}-{i}", summary = $"run {request}-{i} finished" }),
            }, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }));
        var status = await WaitForIndexerAsync(clients[0], "acme");

        var embedded = new[] { first, second }.Sum(f => f.Services.GetRequiredService<EmbeddingIndexer>().EmbeddedRows);
        Assert.Equal(requests * rowsPerRequest, embedded);
        Assert.Equal(requests * rowsPerRequest, status.GetProperty("indexed_documents").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_request_that_fails_every_try_is_parked_and_shown_while_the_others_are_indexed(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?> { ["DataPlane:Retrieval:IndexerMaxAttempts"] = "2" });
        await app.IngestOkAsync("acme", "notes", new object[] { new { text = "first note", noted = "soon" } });
        var sources = (await app.Client.GetFromJsonAsync<JsonElement>("/data/retrieval/sources", Ct)).EnumerateArray()
            .Select(s => JsonSerializer.Deserialize<object>(s.GetRawText()))
            .Append(new { table = "notes", text_template = "{text}", metadata_fields = Array.Empty<string>(), time_field = "noted" }).ToList();
        (await app.Client.PutAsJsonAsync("/data/retrieval/sources", sources, Ct)).EnsureSuccessStatusCode();
        // "soon" is no time: that request can never be indexed. The next one can.
        await app.IngestOkAsync("acme", "notes", new object[] { new { text = "second note", noted = "2026-11-27T10:00:00Z" } });

        var status = await WaitForIndexerAsync(app.Client, "acme");

        Assert.Equal(1, status.GetProperty("parked_requests").GetInt64());
        var parked = status.GetProperty("parked")[0];
        Assert.Equal(2, parked.GetProperty("attempts").GetInt32());
        Assert.Contains("FormatException", parked.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, status.GetProperty("indexed_documents").GetInt64());
    }

    [Fact]
    public async Task Killing_a_replica_under_load_loses_no_acknowledged_row()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Production);
        await using var survivor = await ServiceProcess.StartAsync(lake, "replica-1");
        await using var victim = await ServiceProcess.StartAsync(lake, "replica-2");
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var request = 0; !stop.IsCancellationRequested; request++)
            {
                var replica = (writer + request) % 2 == 0 ? survivor : victim;
                var ids = Enumerable.Range(0, 3).Select(i => $"w{writer}-r{request}-{i}").ToList();
                try
                {
                    var response = await replica.Client.PostAsJsonAsync("/data/ingest", new
                    {
                        table = "job_outcomes", tenant_id = "acme", job_id = "load", schema_version = "1", records = ids.Select(id => new { job_id = id }),
                    }, Ct);
                    if (response.StatusCode == HttpStatusCode.Created) foreach (var id in ids) acknowledged.Add(id);
                }
                catch (HttpRequestException)
                {
                    // The killed replica: nothing acknowledged, so nothing is owed.
                }
            }
        }, Ct)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await victim.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var stored = await survivor.Client.GetFromJsonAsync<JsonElement>(
            "/data/query?tenant_id=acme&max_rows=100000&sql=" + Uri.EscapeDataString("SELECT job_id, count(*) FROM job_outcomes GROUP BY job_id"), Ct);
        var counts = stored.GetProperty("rows").EnumerateArray().ToDictionary(r => r[0].GetString()!, r => r[1].GetInt64());
        Assert.NotEmpty(acknowledged);
        Assert.All(acknowledged, id => Assert.Equal(1, counts.GetValueOrDefault(id)));
    }

    private static Dictionary<string, string?> Settings(TestLake lake, string replica) => new(lake.HostConfiguration)
    {
        ["DataPlane:DataDir"] = Path.Combine(lake.WorkDirectory, replica),
    };

    private static async Task<JsonElement> WaitForIndexerAsync(HttpClient client, string tenant)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/data/retrieve/status?tenant_id={tenant}", Ct);
            if (status.GetProperty("pending_requests").GetInt64() == 0) return status;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("the indexers did not catch up within 60 s");
        return default;
    }
}
