using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Bench;

/// <summary>One measured line: the service's number, its baseline's, the ratio, and the target it is held to.</summary>
internal sealed record Result(string Workload, string Metric, double Service, string Baseline, double? BaselineValue, string Target, bool? Met, string Notes = "")
{
    public double? Ratio => BaselineValue is { } b && b != 0 ? Service / b : null;
}

internal static class Report
{
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static string Spread(IReadOnlyList<double> values) =>
        string.Create(CultureInfo.InvariantCulture, $"min {values.Min():G4}, max {values.Max():G4}, n={values.Count}");

    public static void Write(string directory, string size, IReadOnlyList<Result> results, string machine)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"{DateTime.UtcNow:yyyy-MM-dd}-{size}");
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new { size, machine, results = results.Select(r => new
        {
            r.Workload, r.Metric, r.Service, r.Baseline, r.BaselineValue, r.Ratio, r.Target, r.Met, r.Notes,
        }) }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark report ({size}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}").AppendLine();
        md.AppendLine("| Workload | Metric | Service | Baseline | Baseline value | Ratio | Target | Met | Notes |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Workload} | {r.Metric} | {r.Service:G4} | {r.Baseline} | {(r.BaselineValue is { } b ? b.ToString("G4", CultureInfo.InvariantCulture) : "–")} | " +
                $"{(r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "–")} | {r.Target} | {(r.Met is null ? "–" : r.Met.Value ? "yes" : "**no**")} | {r.Notes} |");
        File.WriteAllText(stem + ".md", md.ToString());
    }
}
