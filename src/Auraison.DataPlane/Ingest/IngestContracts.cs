using System.Text.Json;
using System.Text.Json.Serialization;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Ingest;

/// <summary>The body of <c>POST /data/ingest</c>.</summary>
public sealed record IngestRequest
{
    /// <summary><c>name</c> or <c>schema.name</c>; created on first write.</summary>
    public string? Table { get; init; }

    public List<JsonElement>? Records { get; init; }

    /// <summary>The producer's schema version of these records, kept as lineage.</summary>
    public JsonElement SchemaVersion { get; init; }

    public string? JobId { get; init; }

    public string? TenantId { get; init; }
}

/// <summary><c>201</c> reply: the request's partition (its lineage id), rows stored, and the lake snapshot that holds them.</summary>
public sealed record IngestReply(Guid PartitionId, long RowCount, string Table, long LakeSnapshotId)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? QuarantinedCount { get; init; }
}

public enum OnError
{
    /// <summary>Any bad record fails the whole request; nothing is written.</summary>
    Reject,

    /// <summary>Good records are written; bad ones go to the table's quarantine table with the error.</summary>
    Quarantine,
}

/// <summary>
/// A validated request waiting for its group commit. <c>RequestHash</c> is the fingerprint a retry with the same
/// Idempotency-Key must match; requests without a key leave it empty.
/// </summary>
public sealed record IngestCommand(
    TableName Table,
    string TenantId,
    string JobId,
    string SchemaVersion,
    IReadOnlyList<JsonElement> Records,
    OnError Mode,
    string? IdempotencyKey,
    string RequestHash,
    string Caller)
{
    public Guid PartitionId { get; } = Guid.CreateVersion7();

    public DateTimeOffset ReceivedAt { get; } = DateTimeOffset.UtcNow;
}

/// <summary>A request that could not be stored: the status and problem to answer with.</summary>
public sealed class IngestRejectedException(int status, string title, string detail, IReadOnlyList<RecordError>? errors = null) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public IReadOnlyList<RecordError> Errors { get; } = errors ?? [];

    /// <summary>The problem+json answer, with the first 100 record errors as <c>errors</c>.</summary>
    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToProblem(string? detail = null) =>
        Hosting.Problems.Of(Status, Title, detail ?? Message,
            Errors.Count == 0 ? null : new Dictionary<string, object?> { ["errors"] = Errors.Take(100).ToList() });
}
