using System.CommandLine;
using System.Diagnostics;
using static Auraison.DataPlane.Cli.LakehouseCommand;

namespace Auraison.DataPlane.Cli;

/// <summary>
/// <c>lakehouse attach</c>: the SQL that makes a stock <c>duckdb</c> attach this lake read-only (management keys: a
/// direct attach reads every tenant's rows). <c>--exec</c> opens <c>duckdb</c> with it.
/// </summary>
public static class AttachCommand
{
    public static Definition Create()
    {
        var exec = new Option<bool>("--exec") { Description = "Open duckdb with the lake attached instead of printing the SQL" };
        var duckdb = new Option<string>("--duckdb") { Description = "The duckdb executable for --exec", DefaultValueFactory = _ => "duckdb" };
        var command = new Command("attach", "Print the DuckDB SQL that attaches this lake read-only (management keys; secrets stay in your environment).")
        {
            Options = { exec, duckdb },
        };
        return new(command, async (context, parsed, token) =>
        {
            var reply = await context.Client.GetAsync("/data/lake/attach", token);
            var sql = reply.GetProperty("sql").EnumerateArray().Select(line => line.GetString()!).ToList();
            if (!parsed.GetValue(exec))
            {
                foreach (var line in sql) context.Output.WriteLine(line);
                return;
            }
            var start = new ProcessStartInfo(parsed.GetValue(duckdb)!) { UseShellExecute = false };
            start.ArgumentList.Add("-cmd");
            start.ArgumentList.Add(string.Join("\n", sql.Where(line => !line.StartsWith("--", StringComparison.Ordinal) && !line.StartsWith("SELECT", StringComparison.Ordinal))));
            try
            {
                using var duck = Process.Start(start)!;
                await duck.WaitForExitAsync(token);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new CliFailure(ExitCodes.Usage, $"Cannot start {start.FileName} ({e.Message}); pass --duckdb with its path.");
            }
        });
    }
}
