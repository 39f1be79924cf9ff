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
/// A validated request: its envelope and its spooled records. <c>RequestHash</c> is the fingerprint a retry with
/// the same Idempotency-Key must match; requests without a key leave it empty.
/// </summary>
public sealed record IngestCommand(
    TableName Table,
    string TenantId,
    string JobId,
    string SchemaVersion,
    ISpooledRows Records,
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
    /// <summary>Seconds after which a retry may succeed (for 503), sent as Retry-After.</summary>
    public int? RetryAfterSeconds { get; init; }

    public int Status { get; } = status;

    public string Title { get; } = title;

    public IReadOnlyList<RecordError> Errors { get; } = errors ?? [];

    /// <summary>The problem+json answer, with the first 100 record errors as <c>errors</c>.</summary>
    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToProblem(HttpContext http, string? detail = null)
    {
        if (RetryAfterSeconds is { } seconds) http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Hosting.Problems.Of(Status, Title, detail ?? Message,
            Errors.Count == 0 ? null : new Dictionary<string, object?> { ["errors"] = Errors.Take(100).ToList() });
    }

    /// <summary>The service cannot take the request now (a full queue, a store that does not answer); the caller retries.</summary>
    public static IngestRejectedException Unavailable(string detail, int retryAfterSeconds = 1) =>
        new(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail) { RetryAfterSeconds = retryAfterSeconds };
}
