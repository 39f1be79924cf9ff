using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Ingest;

/// <summary>The limits a caller meets, on the real server (Kestrel), not the in-process test host.</summary>
public class IngestLimitsTests
{
    private static CancellationToken Ct => DataPlaneApp.Ct;

    [Fact]
    public async Task A_40_MB_body_is_accepted_and_every_record_stored()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        await using var service = await ServiceProcess.StartAsync(lake);
        var records = 170_000;
        var body = new StringBuilder();
        for (var i = 0; i < records; i++)
            body.Append(CultureInfo.InvariantCulture, $$"""{"frame":{{i}},"label":"label-{{i % 7}}","note":"{{new string('n', 200)}}"}""").Append('\n');
        Assert.True(body.Length > 40_000_000, $"{body.Length} bytes");

        var response = await service.Client.PostAsync("/data/ingest?table=event_log.big&tenant_id=acme&job_id=big&schema_version=1",
            new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson"), Ct);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var count = await service.Client.GetFromJsonAsync<JsonElement>("/data/query?tenant_id=acme&sql=SELECT%20count(*)%20FROM%20event_log.big", Ct);
        Assert.Equal($"[[{records}]]", count.GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task A_body_past_the_configured_limit_is_413_problem_json_from_the_server()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        await using var service = await ServiceProcess.StartAsync(lake, settings: new Dictionary<string, string?> { ["DataPlane:Ingest:MaxBodyBytes"] = "100000" });
        var body = string.Join('\n', Enumerable.Range(0, 2000).Select(i => $$"""{"frame":{{i}},"note":"{{new string('n', 100)}}"}"""));

        var response = await service.Client.PostAsync("/data/ingest?table=event_log.big&tenant_id=acme&job_id=big&schema_version=1",
            new StringContent(body, Encoding.UTF8, "application/x-ndjson"), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"reading": 1e400}""", "reading")]
    [InlineData("""{"reading": -1e400}""", "reading")]
    [InlineData("""{"level": 1e400}""", "level")]
    [InlineData("""{"count": 1e19}""", "count")]
    public async Task A_number_outside_its_columns_range_is_422_naming_record_and_field(string record, string field)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "fleet.battery", new object[] { new { level = 0.5, count = 3 } });

        var response = await app.IngestAsync("acme", "fleet.battery", new object[] { new { ok = true }, JsonDocument.Parse(record).RootElement });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var error = problem.GetProperty("errors")[0];
        Assert.Equal(1, error.GetProperty("record_index").GetInt32());
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM fleet.battery"));
    }
}
