using System.CommandLine;
using static Auraison.DataPlane.Cli.LakehouseCommand;

namespace Auraison.DataPlane.Cli;

/// <summary><c>lakehouse ingest FILE… --table T</c>: each file streamed as one request, with progress and a summary.</summary>
public static class IngestCommand
{
    public static Definition Create()
    {
        var files = new Argument<FileInfo[]>("files") { Description = "NDJSON (.ndjson/.jsonl), JSON arrays (.json), CSV with a header (.csv) or Parquet (.parquet) files, optionally .gz", Arity = ArgumentArity.OneOrMore };
        var table = new Option<string>("--table") { Description = "Target table (created on first write)", Required = true };
        var job = new Option<string>("--job-id") { Description = "The job these rows come from (lineage)", DefaultValueFactory = _ => $"lakehouse-cli-{Environment.UserName}" };
        var version = new Option<string>("--schema-version") { Description = "The writer's schema version (lineage)", DefaultValueFactory = _ => "1" };
        var onError = new Option<string?>("--on-error") { Description = "quarantine: bad records go to a quarantine table instead of failing the file" };
        var command = new Command("ingest", "Store files' records in a table; a file is stored whole or not at all, and sending it again stores nothing twice.")
        {
            Arguments = { files }, Options = { table, job, version, onError },
        };
        return new(command, async (context, parsed, token) =>
        {
            var ingest = new FileIngest(context.Client, context.Error);
            var envelope = new FileIngest.Envelope(parsed.GetValue(table)!, parsed.GetValue(job)!, parsed.GetValue(version)!, parsed.GetValue(onError));
            long rows = 0, snapshot = 0;
            var given = parsed.GetValue(files)!;
            foreach (var file in given)
            {
                var reply = await ingest.SendAsync(file.FullName, envelope, token);
                var stored = reply.GetProperty("row_count").GetInt64();
                snapshot = reply.GetProperty("lake_snapshot_id").GetInt64();
                rows += stored;
                context.Output.WriteLine($"{file.Name}: {Number(stored)} rows into {reply.GetProperty("table").GetString()} (lake snapshot {snapshot})");
            }
            context.Output.WriteLine($"ingested {Number(rows)} rows from {given.Length} file(s); newest lake snapshot {snapshot}");
        });
    }
}
