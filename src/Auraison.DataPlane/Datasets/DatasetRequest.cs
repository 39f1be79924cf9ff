using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Datasets;

/// <summary>
/// Where a dataset's rows come from: for <c>lerobot</c> one table with its episode, time and task columns and the
/// features; for <c>parquet</c> a read-only SQL query over the tenant's tables.
/// </summary>
public sealed record DatasetSource(string? Table, string? Episode, string? Timestamp, string? Task, Dictionary<string, List<string>>? Features, string? Sql,
    Dictionary<string, VideoSource>? Videos);

/// <summary>A camera stream of an episodic dataset: the column naming each frame's video chunk (an object key), and the frames' shape.</summary>
public sealed record VideoSource(string? Column, List<int>? Shape);

/// <summary>Body of <c>POST /data/datasets</c>.</summary>
public sealed record DatasetRequest(string? TenantId, string? Name, string? Format, DatasetSource? Source, double? Fps, Dictionary<string, double>? Splits,
    long? Seed, int? TargetFileMegabytes);

/// <summary>An episodic source found sound: the table, its columns, the features in order, splits in order.</summary>
public sealed record EpisodePlan(TableName Table, string Episode, string Timestamp, string? Task,
    IReadOnlyList<(string Name, IReadOnlyList<string> Columns)> Features, double Fps, IReadOnlyList<(string Name, double Fraction)> Splits, long Seed)
{
    /// <summary>Camera streams: name (e.g. <c>observation.images.front</c>), the chunk-key column, height × width × channels.</summary>
    public IReadOnlyList<(string Name, string Column, IReadOnlyList<int> Shape)> Videos { get; init; } = [];
}

/// <summary>A request found sound: an episodic source (LeRobot) or a query (Parquet shards and a manifest).</summary>
public sealed record DatasetPlan(string Tenant, string Name, string Format, EpisodePlan? Episodes, string? Sql, long TargetFileBytes)
{
    public const string LeRobot = "lerobot";
    public const string Parquet = "parquet";

    /// <summary>
    /// The dataset's identity at a snapshot: the same request at the same snapshot is the same dataset (same id, same
    /// version, byte-identical files).
    /// </summary>
    public string Fingerprint(long lakeSnapshotId, string requestJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Tenant}\n{lakeSnapshotId}\n{requestJson}")));
}

public static partial class DatasetRequests
{
    private const int DefaultTargetFileMegabytes = 64;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex DatasetName();

    /// <summary>The plan, or the problem with the request.</summary>
    public static (DatasetPlan? Plan, string? Problem) Plan(DatasetRequest request)
    {
        if (request.Name is null || !DatasetName().IsMatch(request.Name))
            return (null, "name is required: lowercase letters, digits, '_' and '-', at most 63 characters.");
        if (request.TargetFileMegabytes is < 1 or > 1024) return (null, "target_file_megabytes must be between 1 and 1024.");
        var target = (request.TargetFileMegabytes ?? DefaultTargetFileMegabytes) * 1024L * 1024;
        switch (request.Format)
        {
            case DatasetPlan.LeRobot:
                var (episodes, problem) = Episodes(request);
                return episodes is null ? (null, problem) : (new DatasetPlan(request.TenantId!, request.Name, DatasetPlan.LeRobot, episodes, null, target), null);
            case DatasetPlan.Parquet:
                return string.IsNullOrWhiteSpace(request.Source?.Sql)
                    ? (null, "source.sql is required for the parquet format: one read-only query over the tenant's tables.")
                    : (new DatasetPlan(request.TenantId!, request.Name, DatasetPlan.Parquet, null, request.Source.Sql, target), null);
            default:
                return (null, $"format must be \"{DatasetPlan.LeRobot}\" or \"{DatasetPlan.Parquet}\".");
        }
    }

    private static (EpisodePlan? Plan, string? Problem) Episodes(DatasetRequest request)
    {
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
        var videos = source.Videos ?? [];
        if (videos.Any(v => v.Key.Length == 0 || v.Key.Contains('/') || features.ContainsKey(v.Key) || v.Value.Column is null
                || !Identifiers.IsReadableColumn(v.Value.Column) || v.Value.Shape is not { Count: 3 } shape || shape.Any(d => d < 1)))
            return (null, "source.videos maps a name (without '/', not a feature's) to {\"column\": the chunk-key column, \"shape\": [height, width, channels]}.");
        return (new EpisodePlan(table, source.Episode!, source.Timestamp!, source.Task, features.Select(f => (f.Key, (IReadOnlyList<string>)f.Value)).ToList(),
            request.Fps.Value, splits.Select(s => (s.Key, s.Value)).ToList(), request.Seed ?? 0)
        {
            Videos = videos.Select(v => (v.Key, v.Value.Column!, (IReadOnlyList<int>)v.Value.Shape!)).ToList(),
        }, null);
    }

    /// <summary>The request as canonical JSON (what the dataset's identity and its registry row record).</summary>
    public static string Canonical(DatasetRequest request) => JsonSerializer.Serialize(request with { TenantId = null });
}
