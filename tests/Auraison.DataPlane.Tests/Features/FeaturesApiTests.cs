using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Features;

public class FeaturesApiTests
{
    private static readonly Dictionary<string, string?> ManualMaterialization = new() { ["DataPlane:Features:MaterializeSeconds"] = "0" };

    private static async Task<DataPlaneApp> StartWithBatteryAsync(LakeMode mode, long? ttlSeconds = 3600)
    {
        var app = await DataPlaneApp.StartAsync(mode, ManualMaterialization);
        await app.IngestOkAsync("acme", "event_log.battery", new object[]
        {
            new { robot_id = "r1", at = "2026-11-30T10:00:00Z", level = 0.9, temp_c = 31.0 },
            new { robot_id = "r1", at = "2026-11-30T12:00:00Z", level = 0.5, temp_c = 35.0 },
            new { robot_id = "r2", at = "2026-11-30T09:00:00Z", level = 0.7, temp_c = 30.0 },
        });
        var declared = await app.Client.PutAsJsonAsync("/data/features/battery", new
        {
            tenant_id = "acme", source = "event_log.battery", entity = "robot_id", timestamp = "at", features = new[] { "level", "temp_c" }, ttl_seconds = ttlSeconds,
        }, DataPlaneApp.Ct);
        Assert.True(declared.StatusCode == HttpStatusCode.Created, await declared.Content.ReadAsStringAsync(DataPlaneApp.Ct));
        return app;
    }

    private static async Task<JsonElement> HistoricalAsync(DataPlaneApp app, string tenant, params object[] rows)
    {
        var response = await app.Client.PostAsJsonAsync("/data/features/historical", new { tenant_id = tenant, view = "battery", rows }, DataPlaneApp.Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return body.GetProperty("rows");
    }

    private static async Task<JsonElement> OnlineAsync(DataPlaneApp app, string entity) =>
        await app.Client.GetFromJsonAsync<JsonElement>($"/data/features/online?tenant_id=acme&view=battery&entity={entity}", DataPlaneApp.Ct);

    private static Task<HttpResponseMessage> MaterializeAsync(DataPlaneApp app) =>
        app.Client.PostAsync("/data/features/battery/materialize?tenant_id=acme", null, DataPlaneApp.Ct);

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_historical_row_gets_the_value_known_at_its_timestamp_where_a_plain_join_would_leak_a_later_one(LakeMode mode)
    {
        await using var app = await StartWithBatteryAsync(mode);

        var rows = await HistoricalAsync(app, "acme", new { robot_id = "r1", at = "2026-11-30T11:00:00Z", label = "docked" });
        var plainJoin = await app.ScalarAsync("acme", "SELECT level FROM event_log.battery WHERE robot_id = 'r1' ORDER BY \"at\" DESC LIMIT 1");

        Assert.Equal("0.5", plainJoin);
        Assert.Equal(0.9, rows[0].GetProperty("level").GetDouble());
        Assert.Equal(31.0, rows[0].GetProperty("temp_c").GetDouble());
        Assert.Equal("docked", rows[0].GetProperty("label").GetString());
        Assert.StartsWith("2026-11-30T10:00:00", rows[0].GetProperty("feature_event_at").GetString());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_list_feature_holding_nulls_is_served_whole(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, ManualMaterialization);
        await app.IngestOkAsync("acme", "event_log.ranges", new object[] { new { robot_id = "r1", at = "2026-11-30T10:00:00Z", beams = new double?[] { 1.5, null, 2.0 } } });
        var declared = await app.Client.PutAsJsonAsync("/data/features/ranges",
            new { tenant_id = "acme", source = "event_log.ranges", entity = "robot_id", timestamp = "at", features = new[] { "beams" } }, DataPlaneApp.Ct);
        Assert.Equal(HttpStatusCode.Created, declared.StatusCode);

        var response = await app.Client.PostAsJsonAsync("/data/features/historical",
            new { tenant_id = "acme", view = "ranges", rows = new[] { new { robot_id = "r1", at = "2026-11-30T11:00:00Z" } } }, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = (await response.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct)).GetProperty("rows");
        Assert.Equal("[1.5,null,2]", rows[0].GetProperty("beams").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_value_older_than_the_ttl_or_from_after_the_row_is_not_served(LakeMode mode)
    {
        await using var app = await StartWithBatteryAsync(mode, ttlSeconds: 3600);

        var rows = await HistoricalAsync(app, "acme",
            new { robot_id = "r1", at = "2026-11-30T13:30:00Z" },
            new { robot_id = "r1", at = "2026-11-30T09:59:59Z" },
            new { robot_id = "r9", at = "2026-11-30T12:00:00Z" },
            new { robot_id = "r1", at = "2026-11-30T12:30:00Z" });

        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("level").ValueKind);
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("level").ValueKind);
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("level").ValueKind);
        Assert.Equal(0.5, rows[3].GetProperty("level").GetDouble());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_rows_of_a_historical_retrieval_can_come_as_a_parquet_file(LakeMode mode)
    {
        await using var app = await StartWithBatteryAsync(mode);
        var spine = await Tables.FileRegistrationTests.ParquetAsync(
            "SELECT 'r1' AS robot_id, TIMESTAMPTZ '2026-11-30 11:00:00+00' AS at, 'docked' AS label UNION ALL SELECT 'r2', TIMESTAMPTZ '2026-11-30 09:30:00+00', 'idle'");
        var content = new ByteArrayContent(spine);
        content.Headers.ContentType = new("application/vnd.apache.parquet");

        var response = await app.Client.PostAsync("/data/features/historical?tenant_id=acme&view=battery", content, DataPlaneApp.Ct);
        var rows = (await response.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct)).GetProperty("rows");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.9, rows[0].GetProperty("level").GetDouble());
        Assert.Equal(0.7, rows[1].GetProperty("level").GetDouble());
        Assert.Equal("idle", rows[1].GetProperty("label").GetString());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_online_lookup_reflects_a_new_ingest_once_materialised(LakeMode mode)
    {
        await using var app = await StartWithBatteryAsync(mode, ttlSeconds: null);
        Assert.Equal(HttpStatusCode.OK, (await MaterializeAsync(app)).StatusCode);
        var first = await OnlineAsync(app, "r1");

        await app.IngestOkAsync("acme", "event_log.battery", new object[]
        {
            new { robot_id = "r1", at = "2026-11-30T14:00:00Z", level = 0.2, temp_c = 38.0 },
            new { robot_id = "r2", at = "2026-11-30T08:00:00Z", level = 0.1, temp_c = 29.0 },
        });
        var beforeRun = await OnlineAsync(app, "r1");
        Assert.Equal(HttpStatusCode.OK, (await MaterializeAsync(app)).StatusCode);

        Assert.Equal(0.5, first.GetProperty("features").GetProperty("level").GetDouble());
        Assert.Equal(0.5, beforeRun.GetProperty("features").GetProperty("level").GetDouble());
        Assert.Equal(0.2, (await OnlineAsync(app, "r1")).GetProperty("features").GetProperty("level").GetDouble());
        // An older event committed later does not replace the newest one.
        Assert.Equal(0.7, (await OnlineAsync(app, "r2")).GetProperty("features").GetProperty("level").GetDouble());
        Assert.Equal(JsonValueKind.Null, (await OnlineAsync(app, "r9")).GetProperty("features").ValueKind);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Another_tenant_has_neither_the_view_nor_the_rows(LakeMode mode)
    {
        await using var app = await StartWithBatteryAsync(mode);

        var view = await app.Client.GetAsync("/data/features/battery?tenant_id=globex", DataPlaneApp.Ct);
        var historical = await app.Client.PostAsJsonAsync("/data/features/historical",
            new { tenant_id = "globex", view = "battery", rows = new[] { new { robot_id = "r1", at = "2026-11-30T11:00:00Z" } } }, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.NotFound, view.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, historical.StatusCode);
    }

    [Theory]
    [InlineData("online", """{"tenant_id":"acme","source":"event_log.battery","entity":"robot_id","timestamp":"at","features":["level"]}""")]
    [InlineData("battery", """{"tenant_id":"acme","source":"event_log.battery","entity":"robot_id","timestamp":"at","features":[]}""")]
    [InlineData("battery", """{"tenant_id":"acme","source":"not a table","entity":"robot_id","timestamp":"at","features":["level"]}""")]
    [InlineData("battery", """{"tenant_id":"acme","source":"event_log.battery","entity":"robot id","timestamp":"at","features":["level"]}""")]
    [InlineData("battery", """{"tenant_id":"acme","source":"event_log.battery","entity":"robot_id","timestamp":"at","features":["level"],"ttl_seconds":0}""")]
    public async Task A_feature_view_that_cannot_be_served_is_refused(string view, string body)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, ManualMaterialization);

        var response = await app.Client.PutAsync($"/data/features/{view}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
