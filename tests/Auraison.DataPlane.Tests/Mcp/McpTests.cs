using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Tests.Retrieval;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Auraison.DataPlane.Tests.Mcp;

/// <summary>The MCP endpoint through the SDK's own client, as an agent's MCP host connects to it.</summary>
public class McpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<McpClient> ConnectAsync(HttpClient http) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp,
        }, http, ownsHttpClient: false), cancellationToken: Ct);

    /// <summary>A tenant's client: in production with a key of the tenant, embedded (no keys) as the local caller.</summary>
    private static async Task<McpClient> TenantClientAsync(DataPlaneApp app, LakeMode mode) =>
        await ConnectAsync(mode == LakeMode.Production ? app.ClientWith(await app.CreateKeyAsync("acme", "query", "retrieve", "snapshots")) : app.Client);

    private static async Task<CallToolResult> CallAsync(McpClient client, string tool, LakeMode mode, Dictionary<string, object?>? arguments = null)
    {
        arguments ??= [];
        // Without keys (embedded) the caller is not bound to a tenant, so it names one, as an admin key would.
        if (mode == LakeMode.Embedded) arguments["tenant_id"] = "acme";
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: Ct);
        Assert.False(result.IsError == true, $"{tool} failed: {Text(result)}");
        return result;
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    private static JsonElement Structured(CallToolResult result) => Assert.IsType<JsonElement>(result.StructuredContent);

    private static async Task<DataPlaneApp> StartWithJobAsync(LakeMode mode)
    {
        var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[]
        {
            new { job_id = "job-1", status = "failed", summary = "the gripper slipped on the red mug" },
            new { job_id = "job-2", status = "ok", summary = "navigation to the kitchen succeeded" },
        });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex-secret", status = "ok" } });
        return app;
    }

    [Fact]
    public async Task The_tools_are_listed_with_descriptions_and_schemas()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await using var client = await ConnectAsync(app.Client);

        var tools = await client.ListToolsAsync(cancellationToken: Ct);

        Assert.Equal(["describe_table", "get_snapshot", "job_lineage", "lake_history", "list_snapshots", "list_tables", "query", "retrieve"],
            tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tools, t => Assert.False(string.IsNullOrWhiteSpace(t.Description)));
        var query = tools.Single(t => t.Name == "query").JsonSchema;
        Assert.Equal(["sql"], query.GetProperty("required").EnumerateArray().Select(p => p.GetString()));
        Assert.True(query.GetProperty("properties").TryGetProperty("as_of_snapshot", out _));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task List_tables_shows_the_tenants_tables_and_row_counts(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await using var client = await TenantClientAsync(app, mode);

        var result = await CallAsync(client, "list_tables", mode);

        var table = Structured(result).GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "main.job_outcomes");
        Assert.Equal(2, table.GetProperty("row_count").GetInt64());
        Assert.Contains("main.job_outcomes | 2 |", Text(result), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Describe_table_shows_columns_and_sample_rows(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await using var client = await TenantClientAsync(app, mode);

        var result = await CallAsync(client, "describe_table", mode, new() { ["table"] = "job_outcomes" });

        Assert.Contains("summary | VARCHAR", Text(result), StringComparison.Ordinal);
        Assert.Equal(2, Structured(result).GetProperty("sample").GetProperty("row_count").GetInt32());
        Assert.DoesNotContain("globex-secret", Text(result), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Query_answers_with_a_text_table_and_the_http_reply(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await using var client = await TenantClientAsync(app, mode);

        var result = await CallAsync(client, "query", mode, new() { ["sql"] = "SELECT job_id, status FROM job_outcomes ORDER BY job_id" });

        Assert.StartsWith("job_id | status\njob-1 | failed\njob-2 | ok\n", Text(result), StringComparison.Ordinal);
        Assert.Equal("""[["job-1","failed"],["job-2","ok"]]""", Structured(result).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_query_error_is_a_tool_error_worded_as_the_http_problem(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await using var client = await TenantClientAsync(app, mode);
        var http = await app.QueryRawAsync("acme", "DELETE FROM job_outcomes");
        var problem = (await http.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString();

        var result = await client.CallToolAsync("query", new Dictionary<string, object?> { ["sql"] = "DELETE FROM job_outcomes", ["tenant_id"] = "acme" },
            cancellationToken: Ct);

        Assert.True(result.IsError);
        Assert.Contains(problem!, Text(result), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retrieve_finds_the_row_a_question_is_about(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await RetrievalApiTests.IndexedAsync(app, "acme");
        await using var client = await TenantClientAsync(app, mode);

        var result = await CallAsync(client, "retrieve", mode, new() { ["query"] = "gripper slipped", ["top_k"] = 1 });

        var hit = Assert.Single(Structured(result).GetProperty("hits").EnumerateArray());
        Assert.Contains("gripper slipped", hit.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Snapshots_are_listed_and_fetched_with_the_lake_snapshot_they_pin(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        var posted = await app.Client.PostAsJsonAsync("/data/snapshots", new
        {
            intent_id = Guid.NewGuid(), timestamp = "2026-11-27T10:00:00Z", agents_active = Array.Empty<object>(), tenant_id = "acme",
        }, Ct);
        var created = await posted.Content.ReadFromJsonAsync<JsonElement>(Ct);
        await using var client = await TenantClientAsync(app, mode);

        var listed = await CallAsync(client, "list_snapshots", mode);
        var fetched = await CallAsync(client, "get_snapshot", mode, new() { ["snapshot_id"] = created.GetProperty("snapshot_id").GetString() });

        Assert.Contains(created.GetProperty("snapshot_id").GetString()!, Text(listed), StringComparison.Ordinal);
        Assert.Equal(created.GetProperty("lake_snapshot_id").GetInt64(), Structured(fetched).GetProperty("lake_snapshot_id").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Lake_history_shows_the_tenants_commits_between_two_snapshots(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var first = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } })).GetProperty("lake_snapshot_id").GetInt64();
        var second = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } })).GetProperty("lake_snapshot_id").GetInt64();
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "c" } });
        await using var client = await TenantClientAsync(app, mode);

        var result = await CallAsync(client, "lake_history", mode, new() { ["after_snapshot"] = first, ["up_to_snapshot"] = second });

        var commit = Assert.Single(Structured(result).GetProperty("commits").EnumerateArray());
        Assert.Equal(second, commit.GetProperty("lake_snapshot_id").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Job_lineage_shows_what_a_job_wrote(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await using var client = await TenantClientAsync(app, mode);

        var result = await CallAsync(client, "job_lineage", mode, new() { ["job_id"] = "job-1" });

        var rows = Structured(result).GetProperty("rows");
        Assert.Equal("main.job_outcomes", rows[0][0].GetString());
        Assert.Equal(2, rows[0][2].GetInt64());
    }

    [Fact]
    public async Task A_tenant_key_cannot_act_for_another_tenant()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);
        await using var client = await TenantClientAsync(app, LakeMode.Production);

        var result = await client.CallToolAsync("query", new Dictionary<string, object?> { ["sql"] = "SELECT * FROM job_outcomes", ["tenant_id"] = "globex" },
            cancellationToken: Ct);

        Assert.True(result.IsError);
        Assert.Contains("cannot act for tenant globex", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_the_scope_gets_the_same_refusal_as_http()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);
        await using var client = await ConnectAsync(app.ClientWith(await app.CreateKeyAsync("acme", "ingest")));

        var result = await client.CallToolAsync("list_tables", new Dictionary<string, object?>(), cancellationToken: Ct);

        Assert.True(result.IsError);
        Assert.Contains("lacks the 'query' scope", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_key_cannot_connect()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production);

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await ConnectAsync(app.ClientWith("dpk_unknown")));

        Assert.Contains("401", refused.ToString(), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_tables_schema_is_a_resource(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);
        await using var client = await TenantClientAsync(app, mode);

        var templates = await client.ListResourceTemplatesAsync(cancellationToken: Ct);
        var read = await client.ReadResourceAsync("lake://acme/tables/job_outcomes", cancellationToken: Ct);

        Assert.Contains(templates, t => t.UriTemplate == "lake://{tenant_id}/tables/{table}");
        var schema = JsonDocument.Parse(Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text).RootElement;
        Assert.Equal(2, schema.GetProperty("row_count").GetInt64());
        Assert.Contains(schema.GetProperty("columns").EnumerateArray(), c => c.GetProperty("name").GetString() == "summary");
    }
}
