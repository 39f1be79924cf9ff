using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Datasets;

/// <summary>Where an episodic dataset's frames come from: one table, its episode, time and task columns, and the features.</summary>
public sealed record EpisodeSource(string? Table, string? Episode, string? Timestamp, string? Task, Dictionary<string, List<string>>? Features);

/// <summary>Body of <c>POST /data/datasets</c>.</summary>
public sealed record DatasetRequest(string? TenantId, string? Name, string? Format, EpisodeSource? Source, double? Fps, Dictionary<string, double>? Splits,
    long? Seed);

/// <summary>A request found sound: the source table parsed, feature columns named, splits in order.</summary>
public sealed record DatasetPlan(string Tenant, string Name, TableName Table, string Episode, string Timestamp, string? Task,
    IReadOnlyList<(string Name, IReadOnlyList<string> Columns)> Features, double Fps, IReadOnlyList<(string Name, double Fraction)> Splits, long Seed)
{
    public const string LeRobot = "lerobot";

    /// <summary>
    /// The dataset's identity at a snapshot: the same request at the same snapshot is the same dataset (same id, same
    /// version, byte-identical files).
    /// </summary>
    public string Fingerprint(long lakeSnapshotId, string requestJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Tenant}\n{lakeSnapshotId}\n{requestJson}")));
}

public static partial class DatasetRequests
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex DatasetName();

    /// <summary>The plan, or the problem with the request.</summary>
    public static (DatasetPlan? Plan, string? Problem) Plan(DatasetRequest request)
    {
        if (request.Name is null || !DatasetName().IsMatch(request.Name))
            return (null, "name is required: lowercase letters, digits, '_' and '-', at most 63 characters.");
        if (request.Format != DatasetPlan.LeRobot) return (null, $"format must be \"{DatasetPlan.LeRobot}\".");
        if (request.Source is not { } source || !Identifiers.TryParseTable(source.Table, out var table, out _, allowReservedSchema: true))
            return (null, "source.table is required ('name' or 'schema.name').");
        if (new[] { source.Episode, source.Timestamp }.Concat(source.Task is null ? [] : [source.Task]).Any(c => c is null || !Identifiers.IsReadableColumn(c)))
            return (null, "source.episode and source.timestamp are required column names (source.task is optional).");
        if (source.Features is not { Count: > 0 } features || features.Any(f => f.Key.Length == 0 || f.Key.Contains('/') || f.Value is not { Count: > 0 }
                || f.Value.Any(c => !Identifiers.IsReadableColumn(c))))
            return (null, "source.features is required: {\"feature.name\": [column, …]}, names without '/', at least one column each.");
        if (request.Fps is not (> 0 and <= 1000)) return (null, "fps is required: frames per second, above 0 and at most 1000.");
        var splits = request.Splits ?? new Dictionary<string, double> { ["train"] = 1.0 };
        if (splits.Count == 0 || splits.Values.Any(f => f is < 0 or > 1) || Math.Abs(splits.Values.Sum() - 1) > 1e-9)
            return (null, "splits must be fractions that add up to 1, e.g. {\"train\": 0.8, \"val\": 0.2}.");
        return (new DatasetPlan(request.TenantId!, request.Name, table, source.Episode!, source.Timestamp!, source.Task,
            features.Select(f => (f.Key, (IReadOnlyList<string>)f.Value)).ToList(), request.Fps.Value,
            splits.Select(s => (s.Key, s.Value)).ToList(), request.Seed ?? 0), null);
    }

    /// <summary>The request as canonical JSON (what the dataset's identity and its registry row record).</summary>
    public static string Canonical(DatasetRequest request) => JsonSerializer.Serialize(request with { TenantId = null });
}
