using System.ComponentModel;
using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Retrieval;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Snapshots;
using Auraison.DataPlane.Tables;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Auraison.DataPlane.Mcp;

/// <summary>
/// The lake's read tools for agents. Each runs the same code as its HTTP endpoint for the key's tenant (a management
/// key names one with <c>tenant_id</c>), answers with a compact text table and the HTTP reply as structured content,
/// and fails with the wording of the HTTP problem details.
/// </summary>
[McpServerToolType]
public sealed class LakeTools(IHttpContextAccessor accessor, IOptions<JsonOptions> json, LakeAccessor lakes, PolicyStore policies,
    TableListings listings, QuerySessions sessions, QueryRunner runner, WorldModelSnapshots snapshots, RetentionFloors floors,
    RetrievalService retrieval)
{
    private const string TenantHelp = "Tenant to act for; only for keys without a tenant (an admin key). A tenant's key acts for its own.";

    [McpServerTool(Name = "list_tables", ReadOnly = true, Idempotent = true)]
    [Description("Lists the tables you can query, with their columns, types, your row count and last change. Start here.")]
    public async Task<CallToolResult> ListTablesAsync([Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Query);
        var tables = Value(await TablesApi.ListAsync(http, TenantOf(http, tenant_id), lakes, policies, listings, cancellationToken));
        var text = TextTable.Render(["table", "rows", "columns"],
            tables.Select(t => new object?[] { t.Name, t.RowCount, string.Join(", ", t.Columns.Select(c => $"{c.Name} {c.Type}")) }));
        return Reply(text, new { tables });
    }

    [McpServerTool(Name = "describe_table", ReadOnly = true, Idempotent = true)]
    [Description("One table: its columns with types, your row count, its last change and up to 5 sample rows.")]
    public async Task<CallToolResult> DescribeTableAsync([Description("Table name, e.g. job_outcomes or event_log.agent_traces.")] string table,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Query);
        var tenant = TenantOf(http, tenant_id);
        var info = Value(await TablesApi.GetAsync(http, table, tenant, lakes, policies, cancellationToken));
        var sample = Value(await QueryApi.RunAsync(http, new QueryApi.QueryRequest
        {
            Sql = $"SELECT * FROM {QualifiedName(info)} LIMIT 5", TenantId = tenant,
        }, Services, cancellationToken));
        var text = $"{info.Name}: {info.RowCount} rows" + (info.LastChange is { } change ? $", last changed at lake snapshot {change.LakeSnapshotId}" : "") + "\n" +
                   TextTable.Render(["column", "type"], info.Columns.Select(c => new object?[] { c.Name, c.Type })) + "\nsample rows:\n" + Rows(sample);
        return Reply(text, new { table = info, sample });
    }

    [McpServerTool(Name = "query", ReadOnly = true, Idempotent = true)]
    [Description("Runs one read-only DuckDB SQL statement (SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN …) over your tables. " +
                 "Reads the newest lake snapshot unless lake_snapshot_id, as_of or as_of_snapshot names an older one. " +
                 "lineage.ingests lists every ingest: table, job_id, rows, lake_snapshot_id.")]
    public async Task<CallToolResult> QueryAsync([Description("The SQL statement.")] string sql,
        [Description("Read the lake exactly at this lake snapshot id.")] long? lake_snapshot_id = null,
        [Description("Read the lake as it was at this ISO-8601 time.")] string? as_of = null,
        [Description("Read the lake as a world-model checkpoint (its snapshot_id) saw it.")] string? as_of_snapshot = null,
        [Description("At most this many rows (the service's cap applies).")] int? max_rows = null,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Query);
        var reply = Value(await QueryApi.RunAsync(http, new QueryApi.QueryRequest
        {
            Sql = sql, TenantId = TenantOf(http, tenant_id), LakeSnapshotId = lake_snapshot_id, AsOf = as_of, AsOfSnapshot = as_of_snapshot, MaxRows = max_rows,
        }, Services, cancellationToken));
        return Reply(Rows(reply), reply);
    }

    [McpServerTool(Name = "retrieve", ReadOnly = true, Idempotent = true)]
    [Description("Finds the rows most relevant to a natural-language question (semantic, keyword or hybrid ranking), best first, " +
                 "each with its text, score and metadata (table, occurred_at, fields).")]
    public async Task<CallToolResult> RetrieveAsync([Description("The question or keywords.")] string query,
        [Description("How many hits (1-100, default 10).")] int? top_k = null,
        [Description("hybrid (default), vector or keyword.")] string? mode = null,
        [Description("Search only this table.")] string? table = null,
        [Description("Only rows that occurred at or after this ISO-8601 time.")] string? from = null,
        [Description("Only rows that occurred before this ISO-8601 time.")] string? to = null,
        [Description("Only rows whose metadata fields have these values, e.g. {\"status\": \"failed\"}.")] Dictionary<string, string>? metadata = null,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Retrieve);
        var found = Value(await RetrievalApi.SearchAsync(http, new RetrievalApi.RetrieveParameters
        {
            Query = query, TenantId = TenantOf(http, tenant_id), TopK = top_k, Mode = mode, Table = table, From = from, To = to,
        }, metadata ?? [], retrieval, policies, lakes, cancellationToken));
        var text = TextTable.Render(["#", "score", "table", "text"], found.Hits.Select((h, i) => new object?[]
            { i + 1, Math.Round(h.Score, 4), h.Metadata.GetValueOrDefault("table"), h.Text }));
        return Reply(text, new { hits = found.Hits });
    }

    [McpServerTool(Name = "list_snapshots", ReadOnly = true, Idempotent = true)]
    [Description("World-model checkpoints, newest first: when, for which intent, which agents were active, and the lake snapshot each pins " +
                 "(pass its snapshot_id as as_of_snapshot to query to see the lake as it saw it).")]
    public async Task<CallToolResult> ListSnapshotsAsync([Description("Only checkpoints of this intent (UUID).")] string? intent_id = null,
        [Description("Only checkpoints at or after this ISO-8601 time.")] string? from = null,
        [Description("Only checkpoints before this ISO-8601 time.")] string? to = null,
        [Description("At most this many (default 50).")] int? limit = null,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Snapshots);
        var found = Value(await SnapshotsApi.ListAsync(http, TenantOf(http, tenant_id), intent_id, from, to, limit, snapshots, cancellationToken));
        var text = TextTable.Render(["snapshot_id", "timestamp", "intent_id", "lake_snapshot_id"], found.Select(s => new[]
            { s.GetValueOrDefault("snapshot_id"), s.GetValueOrDefault("timestamp"), s.GetValueOrDefault("intent_id"), s.GetValueOrDefault("lake_snapshot_id") }));
        return Reply(text, new { snapshots = found });
    }

    [McpServerTool(Name = "get_snapshot", ReadOnly = true, Idempotent = true)]
    [Description("One world-model checkpoint with everything it recorded and the lake snapshot it pins.")]
    public async Task<CallToolResult> GetSnapshotAsync([Description("The checkpoint's snapshot_id (UUID).")] string snapshot_id,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Snapshots);
        var found = Value(await SnapshotsApi.GetAsync(http, snapshot_id, TenantOf(http, tenant_id), snapshots, cancellationToken));
        return Reply(JsonSerializer.Serialize(found, json.Value.SerializerOptions), found);
    }

    [McpServerTool(Name = "lake_history", ReadOnly = true, Idempotent = true)]
    [Description("What changed in the lake between two lake snapshots, as far as your tables go: each commit's snapshot id, time and " +
                 "changes (tables created, inserted into, deleted from, altered).")]
    public async Task<CallToolResult> LakeHistoryAsync([Description("Commits after this lake snapshot id (default: from the start).")] long? after_snapshot = null,
        [Description("Commits up to and including this lake snapshot id (default: the newest).")] long? up_to_snapshot = null,
        [Description("At most this many commits (default 50).")] int? limit = null,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Query);
        var commits = Value(await SnapshotsApi.LakeSnapshotsAsync(http, TenantOf(http, tenant_id), after_snapshot, limit, lakes, cancellationToken))
            .Where(c => up_to_snapshot is not { } last || c.LakeSnapshotId <= last).ToList();
        var text = TextTable.Render(["lake_snapshot_id", "at", "changes"], commits.Select(c => new object?[]
            { c.LakeSnapshotId, c.At, string.Join(", ", c.Changes.Select(change => $"{change.Kind}:{change.Value}")) }));
        return Reply(text, new { commits });
    }

    [McpServerTool(Name = "job_lineage", ReadOnly = true, Idempotent = true)]
    [Description("What a job wrote: every ingest with its table, partition, row count, lake snapshot and data files.")]
    public async Task<CallToolResult> JobLineageAsync([Description("The job_id the writer sent with its ingests.")] string job_id,
        [Description(TenantHelp)] string? tenant_id = null, CancellationToken cancellationToken = default)
    {
        var http = Authorize(ApiScopes.Query);
        var reply = Value(await QueryApi.RunAsync(http, new QueryApi.QueryRequest
        {
            Sql = "SELECT table_name, partition_id, row_count, quarantined_count, lake_snapshot_id, ingested_at, data_files FROM lineage.ingests " +
                  $"WHERE job_id = {Lake.Catalog.SqlText.Literal(job_id)} ORDER BY lake_snapshot_id, table_name",
            TenantId = TenantOf(http, tenant_id),
        }, Services, cancellationToken));
        return Reply(Rows(reply), reply);
    }

    private QueryApi.Services Services => new(sessions, runner, snapshots, policies, floors);

    private HttpContext Authorize(string scope) => McpCalls.Authorize(accessor, scope);

    private static string? TenantOf(HttpContext http, string? tenantId) => tenantId ?? http.Caller().Tenant;

    private static T Value<T>(Results<Ok<T>, ProblemHttpResult> results) => McpCalls.Value(results);

    private CallToolResult Reply(string text, object structured) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        StructuredContent = JsonSerializer.SerializeToElement(structured, json.Value.SerializerOptions),
    };

    private static string Rows(QueryReply reply) =>
        TextTable.Render(reply.Columns.Select(c => c.Name).ToList(), reply.Rows) +
        (reply.Truncated ? $"\n(first {reply.RowCount} rows; ask for fewer or aggregate)" : "") + $"\nlake_snapshot_id {reply.LakeSnapshotId}";

    private static string QualifiedName(TablesApi.TableInfo table)
    {
        Identifiers.TryParseTable(table.Name, out var name, out _, allowReservedSchema: true);
        return Lake.Catalog.SqlText.Qualified(name.Schema, name.Name);
    }
}
