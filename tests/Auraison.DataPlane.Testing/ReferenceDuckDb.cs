using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// The reference DuckLake implementation: a stock DuckDB CLI with the ducklake extension, run as its own process.
/// Found at <c>$DATAPLANE_REFERENCE_DUCKDB</c> or at <c>shared/reference/duckdb</c> in a folder above the test
/// binaries (beside the repository, where CI has it). Without it the interoperability suite is skipped.
/// </summary>
public sealed class ReferenceDuckDb
{
    public const string Variable = "DATAPLANE_REFERENCE_DUCKDB";

    private static readonly Lazy<string?> Located = new(Locate);

    private ReferenceDuckDb(string executable) => Executable = executable;

    public string Executable { get; }

    /// <summary>The reference CLI, or a skipped test that says how to get it.</summary>
    public static ReferenceDuckDb Require()
    {
        if (Located.Value is { } found) return new ReferenceDuckDb(found);
        Assert.Skip($"Interoperability suite skipped: the reference DuckDB (stock v1.5.5 + ducklake) was not found at ../shared/reference/duckdb " +
                    $"above the repository or at ${Variable}.");
        throw new UnreachableException();
    }

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
            return File.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new FileNotFoundException($"{Variable} names '{configured}', which does not exist.");
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "reference", "duckdb");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Runs a script (statements and dot commands) in <paramref name="workingDirectory"/>; stops at the first error and
    /// throws it. A catalog file still locked by a service that is closing it (its last background work finishing)
    /// is waited for, a few seconds at most.
    /// </summary>
    public async Task<string> RunAsync(string script, string workingDirectory, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await RunOnceAsync(script, workingDirectory, cancellationToken);
            }
            catch (ReferenceDuckDbException e) when (attempt < 20 && e.Message.Contains("Could not set lock on file", StringComparison.Ordinal))
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    private async Task<string> RunOnceAsync(string script, string workingDirectory, CancellationToken cancellationToken)
    {
        var file = Path.Combine(workingDirectory, $"reference-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(file, script, cancellationToken);
        try
        {
            var start = new ProcessStartInfo(Executable, ["-bail", "-f", file])
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0 || (await error).Length > 0)
                throw new ReferenceDuckDbException($"The reference DuckDB failed (exit {process.ExitCode}): {(await error).Trim()}\n--- script ---\n{script}");
            return await output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Runs <paramref name="setup"/>, then <paramref name="query"/>; returns each result row as DuckDB's own JSON text
    /// of the row (<c>to_json</c>), so values compare exactly across engines.
    /// </summary>
    public async Task<List<string>> JsonRowsAsync(string setup, string query, string workingDirectory, CancellationToken cancellationToken)
    {
        var output = Path.Combine(workingDirectory, $"reference-{Guid.NewGuid():N}.jsonl");
        try
        {
            await RunAsync($"{setup}\n.mode jsonlines\n.once {output}\nSELECT CAST(to_json(q) AS VARCHAR) AS j FROM ({query}) AS q;\n",
                workingDirectory, cancellationToken);
            var lines = File.Exists(output) ? await File.ReadAllLinesAsync(output, cancellationToken) : [];
            return lines.Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("j").GetString()!).ToList();
        }
        finally
        {
            File.Delete(output);
        }
    }
}

public sealed class ReferenceDuckDbException(string message) : Exception(message);
