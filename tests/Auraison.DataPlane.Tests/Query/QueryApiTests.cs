using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Query;

public class QueryApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_tenant_sees_only_its_own_rows(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "acme-1" }, new { job_id = "acme-2" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex-1" } });

        Assert.Equal("""[["acme-1"],["acme-2"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY 1")).GetProperty("rows").GetRawText());
        Assert.Equal("""[["globex-1"]]""", (await app.QueryAsync("globex", "SELECT job_id FROM job_outcomes")).GetProperty("rows").GetRawText());
        Assert.Equal("0", await app.ScalarAsync("initech", "SELECT count(*) FROM job_outcomes"));
    }

    [Fact]
    public async Task Information_schema_still_lists_every_table_after_queries_that_named_one()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "acme-1" } });
        await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes");

        var listed = await app.QueryAsync("acme", "SELECT table_schema || '.' || table_name FROM information_schema.tables ORDER BY 1");

        var names = listed.GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()).ToList();
        Assert.Contains("main.job_outcomes", names);
        Assert.Contains("main.experiments", names);
        Assert.Contains("lineage.ingests", names);
    }

    [Fact]
    public async Task Post_takes_the_same_fields_as_a_json_body()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "experiments", new object[] { new { id = "e1", project = "nav" } });

        var response = await app.Client.PostAsJsonAsync("/data/query", new { sql = "SELECT id, project FROM experiments", tenant_id = "acme" }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("""[["e1","nav"]]""", reply.GetProperty("rows").GetRawText());
        Assert.Equal(1, reply.GetProperty("row_count").GetInt32());
        Assert.False(reply.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Rows_past_the_cap_are_cut_and_flagged()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, new Dictionary<string, string?> { ["DataPlane:Query:MaxRows"] = "5" });

        var reply = await app.QueryAsync("acme", "SELECT * FROM range(100)");
        var smaller = await app.QueryAsync("acme", "SELECT * FROM range(100)", "&max_rows=3");

        Assert.Equal(5, reply.GetProperty("row_count").GetInt32());
        Assert.True(reply.GetProperty("truncated").GetBoolean());
        Assert.Equal(3, smaller.GetProperty("rows").GetArrayLength());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Lists_with_nulls_and_month_intervals_answer_as_json(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "missions", new object[] { new { id = "m1", waypoints = new int?[] { 1, null, 3 } } });

        var reply = await app.QueryAsync("acme", "SELECT waypoints, INTERVAL 2 MONTH + INTERVAL 90 MINUTE AS planned FROM missions");

        Assert.Equal("""[[[1,null,3],"2 months 01:30:00"]]""", reply.GetProperty("rows").GetRawText());
        Assert.Equal("BIGINT[]", reply.GetProperty("columns")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_query_ending_in_a_comment_runs()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var reply = await app.QueryAsync("acme", "SELECT 42 AS answer -- the only one");

        Assert.Equal("[[42]]", reply.GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task Columns_of_the_same_name_answer_under_distinct_names()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var reply = await app.QueryAsync("acme", "SELECT 1 AS id, 2 AS id");

        Assert.Equal(["id", "id_1"], reply.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_query_running_past_the_timeout_is_cancelled_with_504()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, new Dictionary<string, string?> { ["DataPlane:Query:TimeoutSeconds"] = "1" });

        var response = await app.QueryRawAsync("acme", "SELECT count(*) FROM range(1000000) a, range(1000000) b");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_older_lake_snapshot_shows_the_lake_as_it_was(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var first = await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } });
        var snapshot = first.GetProperty("lake_snapshot_id").GetInt64();

        var then = await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes", $"&lake_snapshot_id={snapshot}");

        Assert.Equal("[[1]]", then.GetProperty("rows").GetRawText());
        Assert.Equal(snapshot, then.GetProperty("lake_snapshot_id").GetInt64());
        Assert.Equal("2", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    [Fact]
    public async Task An_unknown_lake_snapshot_is_404()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.QueryRawAsync("acme", "SELECT 1", "&lake_snapshot_id=999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_sql_error_is_400_with_duckdbs_message_and_no_server_paths()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });

        var response = await app.QueryRawAsync("acme", "SELECT no_such_column FROM job_outcomes");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString()!;
        Assert.Contains("no_such_column", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Lake.WorkDirectory, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "SELECT 1", "tenant_id is required")]
    [InlineData("acme", "", "sql is required")]
    [InlineData("acme", "SELECT 1", "at most one of", "&lake_snapshot_id=1&as_of=2026-01-01T00:00:00Z")]
    [InlineData("acme", "SELECT 1", "not an ISO-8601", "&as_of=yesterday")]
    [InlineData("bad tenant!", "SELECT 1", "tenant_id must be")]
    public async Task Bad_parameters_are_400_problems(string tenant, string sql, string detail, string extra = "")
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.QueryRawAsync(tenant, sql, extra);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
