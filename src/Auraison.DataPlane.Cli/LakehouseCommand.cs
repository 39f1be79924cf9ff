using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Auraison.DataPlane.Cli;

/// <summary>
/// <c>lakehouse</c>: the data plane from a shell. Every command talks to the service over HTTP with an API key and
/// acts for one tenant; output is a table by default, <c>--format csv|json</c> for tools and scripts.
/// </summary>
public static class LakehouseCommand
{
    private static readonly Option<string> Url = new("--url")
    {
        Description = "The service's address [env: DATAPLANE_URL]", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATAPLANE_URL") ?? "http://localhost:5000",
    };

    // No default value: help prints defaults, and this one is a secret.
    private static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key sent as a bearer token [env: DATAPLANE_API_KEY]", Recursive = true,
    };

    private static readonly Option<string?> Tenant = new("--tenant")
    {
        Description = "Tenant to act for (a tenant's key may only use its own) [env: DATAPLANE_TENANT]", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATAPLANE_TENANT"),
    };

    private static readonly Option<string> Format = new("--format")
    {
        Description = "Output: table, csv or json (the service's reply)", Recursive = true, DefaultValueFactory = _ => "table",
    };

    /// <summary>Parses and runs a command line; <paramref name="handler"/> replaces the network (tests run the host in process).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HttpMessageHandler? handler = null,
        CancellationToken cancellationToken = default)
    {
        Format.AcceptOnlyFromAmong(Output.Formats);
        var root = new RootCommand("The Auraison data plane from a shell: discover tables, query with DuckDB SQL, search, read history, ingest files.")
        {
            Options = { Url, ApiKey, Tenant, Format },
        };
        Context Connect(ParseResult parsed) =>
            Uri.TryCreate(parsed.GetValue(Url), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
                ? new(DataPlaneClient.Create(url, parsed.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("DATAPLANE_API_KEY"),
                    parsed.GetValue(Tenant), handler), output, error, parsed.GetValue(Format)!)
                : throw new CliFailure(ExitCodes.Usage, $"--url '{parsed.GetValue(Url)}' is not an http(s) address.");
        void Wire(Definition definition)
        {
            foreach (var subcommand in definition.Subcommands ?? []) Wire(subcommand);
            if (definition.Action is not { } run) return;
            definition.Command.SetAction(async (parsed, token) =>
            {
                try
                {
                    await run(Connect(parsed), parsed, token);
                    return ExitCodes.Ok;
                }
                catch (CliFailure failure)
                {
                    await error.WriteLineAsync($"error: {failure.Message}");
                    return failure.ExitCode;
                }
            });
        }
        foreach (var definition in ReadCommands.All().Append(IngestCommand.Create()).Concat(AdminCommands.All()).Append(AttachCommand.Create()))
        {
            Wire(definition);
            root.Subcommands.Add(definition.Command);
        }
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    /// <summary>What a command's action gets: the client, where to write, the output format.</summary>
    public sealed record Context(DataPlaneClient Client, TextWriter Output, TextWriter Error, string Format);

    /// <summary>A command and what it does once connected (nothing for a group: its subcommands do).</summary>
    public sealed record Definition(Command Command, Func<Context, ParseResult, CancellationToken, Task>? Action,
        IReadOnlyList<Definition>? Subcommands = null);

    internal static string Escape(string value) => Uri.EscapeDataString(value);

    internal static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}
