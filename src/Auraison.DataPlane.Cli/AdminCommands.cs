using System.CommandLine;
using System.Text.Json;
using static Auraison.DataPlane.Cli.LakehouseCommand;

namespace Auraison.DataPlane.Cli;

/// <summary>The operator's commands (management keys): policy, keys, maintenance.</summary>
public static class AdminCommands
{
    public static IEnumerable<Definition> All() =>
    [
        Group("policy", "A tenant's policy (retention, allowed tables, storage quota) and usage.", PolicyGet(), PolicySet()),
        Group("keys", "API keys: list, create (the secret is shown once), revoke.", KeysList(), KeysCreate(), KeysRevoke()),
        Group("maintenance", "Maintenance settings and runs; run a step now.", MaintenanceList(), MaintenanceRun()),
    ];

    /// <summary>A command whose subcommands do the work (invoked alone, it prints its help).</summary>
    private static Definition Group(string name, string description, params Definition[] subcommands)
    {
        var group = new Command(name, description);
        foreach (var subcommand in subcommands) group.Subcommands.Add(subcommand.Command);
        return new Definition(group, null, subcommands);
    }

    private static Definition PolicyGet() => new(new Command("get", "The tenant's policy and its current usage per table."),
        async (context, _, token) => Print(context, await context.Client.GetAsync($"/data/policy/{Escape(context.Client.Tenant)}", token)));

    private static Definition PolicySet()
    {
        var retention = new Option<int?>("--retention-days") { Description = "Keep the tenant's rows this many days" };
        var tables = new Option<string[]?>("--allowed-tables") { Description = "Tables (or schema.*) the tenant may read", AllowMultipleArgumentsPerToken = true };
        var quota = new Option<double?>("--max-storage-gb") { Description = "Refuse ingests past this much stored data" };
        return new(new Command("set", "Replace the tenant's policy (options left out are cleared).") { Options = { retention, tables, quota } },
            async (context, parsed, token) => Print(context, await context.Client.PutJsonAsync("/data/policy", new Dictionary<string, object?>
            {
                ["tenant_id"] = context.Client.Tenant, ["retention_days"] = parsed.GetValue(retention), ["allowed_tables"] = parsed.GetValue(tables),
                ["max_storage_gb"] = parsed.GetValue(quota),
            }, token)));
    }

    private static Definition KeysList() => new(new Command("list", "All keys, without their secrets."),
        async (context, _, token) =>
        {
            var keys = await context.Client.GetAsync("/data/keys", token);
            Output.Rows(context.Output, context.Format, ["key_id", "tenant_id", "scopes", "name"], keys.EnumerateArray().Select(k => (IReadOnlyList<string>)
            [
                Output.Text(k.GetProperty("key_id")), Output.Text(Property(k, "tenant_id")),
                string.Join(" ", k.GetProperty("scopes").EnumerateArray().Select(s => s.GetString())), Output.Text(Property(k, "name")),
            ]), keys);
        });

    private static Definition KeysCreate()
    {
        var scopes = new Option<string[]>("--scope") { Description = "ingest, query, retrieve, snapshots, policy or admin", Required = true, AllowMultipleArgumentsPerToken = true };
        var name = new Option<string?>("--name") { Description = "What the key is for" };
        var management = new Option<bool>("--management") { Description = "A key without a tenant (acts for any), instead of one for --tenant" };
        return new(new Command("create", "Create a key; its secret is printed once.") { Options = { scopes, name, management } },
            async (context, parsed, token) => Print(context, await context.Client.PostJsonAsync("/data/keys", new Dictionary<string, object?>
            {
                ["tenant_id"] = parsed.GetValue(management) ? null : context.Client.Tenant, ["scopes"] = parsed.GetValue(scopes), ["name"] = parsed.GetValue(name),
            }, token)));
    }

    private static Definition KeysRevoke()
    {
        var key = new Argument<string>("key-id") { Description = "The key's key_id (not its secret)" };
        return new(new Command("revoke", "Revoke a key; it stops working at once.") { Arguments = { key } },
            async (context, parsed, token) =>
            {
                await context.Client.DeleteAsync($"/data/keys/{Escape(parsed.GetValue(key)!)}", token);
                context.Output.WriteLine($"revoked {parsed.GetValue(key)}");
            });
    }

    private static Definition MaintenanceList() => new(new Command("list", "The settings and the newest runs: what each did and how long it took."),
        async (context, _, token) =>
        {
            var listed = await context.Client.GetAsync("/data/maintenance", token);
            Output.Fields(context.Output, context.Format, ["started_at", "step", "outcome", "snapshots", "files", "milliseconds"],
                listed.GetProperty("runs").EnumerateArray(), listed);
        });

    private static Definition MaintenanceRun()
    {
        var step = new Argument<string>("step") { Description = "flush, merge, expire, cleanup or orphans" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what the step would do and change nothing" };
        return new(new Command("run", "Run one maintenance step now.") { Arguments = { step }, Options = { dryRun } },
            async (context, parsed, token) =>
            {
                var run = await context.Client.PostJsonAsync($"/data/maintenance/{Escape(parsed.GetValue(step)!)}?dry_run={(parsed.GetValue(dryRun) ? "true" : "false")}",
                    new { }, token);
                context.Output.WriteLine($"{run.GetProperty("step").GetString()}{(parsed.GetValue(dryRun) ? " (dry run)" : "")}: {run.GetProperty("outcome").GetString()}, " +
                                         $"{run.GetProperty("snapshots").GetInt64()} snapshots, {run.GetProperty("files").GetInt64()} files in {run.GetProperty("milliseconds").GetInt64()} ms");
            });
    }

    private static void Print(Context context, JsonElement reply) =>
        context.Output.WriteLine(JsonSerializer.Serialize(reply, new JsonSerializerOptions { WriteIndented = context.Format != "json" }));
}
