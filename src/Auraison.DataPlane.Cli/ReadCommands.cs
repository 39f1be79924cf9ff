using System.CommandLine;
using System.Text.Json;
using static Auraison.DataPlane.Cli.LakehouseCommand;

namespace Auraison.DataPlane.Cli;

/// <summary>The commands that read: health, tables, describe, query, retrieve, snapshots, history, lineage.</summary>
public static class ReadCommands
{
    public static IEnumerable<Definition> All() => [Health(), Tables(), Describe(), Query(), Retrieve(), Snapshots(), History(), Lineage()];

    private static Definition Health() => new(new Command("health", "Whether the service and each store it needs (catalog, object store, vectors) answer."),
        async (context, _, token) =>
        {
            var ready = await context.Client.GetAsync("/health/ready", token);
            context.Output.WriteLine(JsonSerializer.Serialize(ready));
        });

    private static Definition Tables() => new(new Command("tables", "The tables you can query: row counts (yours) and columns."),
        async (context, _, token) =>
        {
            var tables = await context.Client.GetAsync($"/data/tables?tenant_id={Escape(context.Client.Tenant)}", token);
            Output.Rows(context.Output, context.Format, ["table", "rows", "columns"], tables.EnumerateArray().Select(t => (IReadOnlyList<string>)
            [
                t.GetProperty("name").GetString()!, t.GetProperty("row_count").GetRawText(),
                string.Join(", ", t.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("type").GetString()}")),
            ]), tables);
        });

    private static Definition Describe()
    {
        var table = new Argument<string>("table") { Description = "Table name, e.g. job_outcomes or event_log.agent_traces" };
        return new(new Command("describe", "One table's columns, row count and last change.") { Arguments = { table } },
            async (context, parsed, token) =>
            {
                var info = await context.Client.GetAsync($"/data/tables/{Escape(parsed.GetValue(table)!)}?tenant_id={Escape(context.Client.Tenant)}", token);
                context.Output.WriteLine($"{info.GetProperty("name").GetString()}: {Number(info.GetProperty("row_count").GetInt64())} rows");
                Output.Rows(context.Output, context.Format, ["column", "type"], info.GetProperty("columns").EnumerateArray()
                    .Select(c => (IReadOnlyList<string>)[c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!]), info);
            });
    }

    private static Definition Query()
    {
        var sql = new Argument<string>("sql") { Description = "One read-only DuckDB SQL statement" };
        var snapshot = new Option<long?>("--snapshot") { Description = "Read exactly this lake snapshot id" };
        var asOf = new Option<string?>("--as-of") { Description = "Read the lake as it was at this ISO-8601 time" };
        var checkpoint = new Option<string?>("--as-of-snapshot") { Description = "Read the lake as this world-model checkpoint (snapshot_id) saw it" };
        var maxRows = new Option<int?>("--max-rows") { Description = "At most this many rows" };
        return new(new Command("query", "Run one read-only SQL statement over your tables.") { Arguments = { sql }, Options = { snapshot, asOf, checkpoint, maxRows } },
            async (context, parsed, token) =>
            {
                var reply = await context.Client.PostJsonAsync("/data/query", new Dictionary<string, object?>
                {
                    ["sql"] = parsed.GetValue(sql), ["tenant_id"] = context.Client.Tenant, ["lake_snapshot_id"] = parsed.GetValue(snapshot),
                    ["as_of"] = parsed.GetValue(asOf), ["as_of_snapshot"] = parsed.GetValue(checkpoint), ["max_rows"] = parsed.GetValue(maxRows),
                }, token);
                Output.QueryReply(context.Output, context.Format, reply);
                if (Property(reply, "truncated").ValueKind == JsonValueKind.True)
                    context.Error.WriteLine("note: the reply was cut at the row cap; aggregate or pass --max-rows");
            });
    }

    private static Definition Retrieve()
    {
        var query = new Argument<string>("query") { Description = "A question or keywords" };
        var topK = new Option<int>("--top-k") { Description = "How many hits", DefaultValueFactory = _ => 10 };
        var mode = new Option<string>("--mode") { Description = "hybrid, vector or keyword", DefaultValueFactory = _ => "hybrid" };
        var table = new Option<string?>("--table") { Description = "Search only this table" };
        return new(new Command("retrieve", "The rows most relevant to a question, best first.") { Arguments = { query }, Options = { topK, mode, table } },
            async (context, parsed, token) =>
            {
                var path = $"/data/retrieve?tenant_id={Escape(context.Client.Tenant)}&query={Escape(parsed.GetValue(query)!)}" +
                           $"&top_k={parsed.GetValue(topK)}&mode={Escape(parsed.GetValue(mode)!)}" +
                           (parsed.GetValue(table) is { } only ? $"&table={Escape(only)}" : "");
                var hits = await context.Client.GetAsync(path, token);
                Output.Rows(context.Output, context.Format, ["score", "table", "text"], hits.EnumerateArray().Select(h => (IReadOnlyList<string>)
                [
                    h.GetProperty("score").GetDouble().ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture),
                    Output.Text(Property(h.GetProperty("metadata"), "table")), h.GetProperty("text").GetString()!,
                ]), hits);
            });
    }

    private static Definition Snapshots()
    {
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 20 };
        return new(new Command("snapshots", "World-model checkpoints, newest first, with the lake snapshot each pins.") { Options = { limit } },
            async (context, parsed, token) =>
            {
                var found = await context.Client.GetAsync($"/data/snapshots?tenant_id={Escape(context.Client.Tenant)}&limit={parsed.GetValue(limit)}", token);
                Output.Fields(context.Output, context.Format, ["snapshot_id", "timestamp", "intent_id", "lake_snapshot_id"], found.EnumerateArray(), found);
            });
    }

    private static Definition History()
    {
        var after = new Option<long?>("--after") { Description = "Commits after this lake snapshot id" };
        var limit = new Option<int>("--limit") { Description = "At most this many commits", DefaultValueFactory = _ => 20 };
        return new(new Command("history", "Lake commits that touched your tables: snapshot id, time, what changed.") { Options = { after, limit } },
            async (context, parsed, token) =>
            {
                var commits = await context.Client.GetAsync($"/data/lake/snapshots?tenant_id={Escape(context.Client.Tenant)}&limit={parsed.GetValue(limit)}" +
                                                            (parsed.GetValue(after) is { } from ? $"&after={from}" : ""), token);
                Output.Rows(context.Output, context.Format, ["lake_snapshot_id", "at", "changes"], commits.EnumerateArray().Select(c => (IReadOnlyList<string>)
                [
                    c.GetProperty("lake_snapshot_id").GetRawText(), Output.Text(c.GetProperty("at")),
                    string.Join(", ", c.GetProperty("changes").EnumerateArray().Select(change => $"{change.GetProperty("kind").GetString()}:{change.GetProperty("value").GetString()}")),
                ]), commits);
            });
    }

    private static Definition Lineage()
    {
        var job = new Argument<string>("job-id") { Description = "The job_id its writer sent" };
        return new(new Command("lineage", "What a job wrote: tables, partitions, row counts, lake snapshots.") { Arguments = { job } },
            async (context, parsed, token) =>
            {
                var reply = await context.Client.PostJsonAsync("/data/query", new Dictionary<string, object?>
                {
                    ["sql"] = "SELECT table_name, partition_id, row_count, lake_snapshot_id, ingested_at FROM lineage.ingests " +
                              $"WHERE job_id = '{parsed.GetValue(job)!.Replace("'", "''", StringComparison.Ordinal)}' ORDER BY lake_snapshot_id",
                    ["tenant_id"] = context.Client.Tenant,
                }, token);
                Output.QueryReply(context.Output, context.Format, reply);
            });
    }
}
