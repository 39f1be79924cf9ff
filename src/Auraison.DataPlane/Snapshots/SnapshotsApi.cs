using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Snapshots;

public static class SnapshotsApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 1000;

    public static RouteGroupBuilder MapSnapshots(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data").WithTags("Snapshots");
        group.MapPost("/snapshots", PostAsync).RequireScope(ApiScopes.Snapshots)
            .Accepts<WorldModelSnapshotRequest>("application/json")
            .WithSummary("Checkpoint a world-model snapshot; it pins the lake snapshot that commits it, for replay.");
        group.MapGet("/snapshots/{snapshot_id}", GetAsync).RequireScope(ApiScopes.Snapshots).WithSummary("One world-model snapshot with its lake_snapshot_id.");
        group.MapGet("/snapshots", ListAsync).RequireScope(ApiScopes.Snapshots).WithSummary("World-model snapshots, newest first, filtered by intent and time.");
        group.MapGet("/lake/snapshots", LakeSnapshotsAsync).RequireScope(ApiScopes.Query).WithSummary("Lake versions with what each commit changed.");
        return group;
    }

    /// <summary>The WorldModelSnapshot document the control plane posts (documented shape; validated field by field).</summary>
    public sealed record WorldModelSnapshotRequest(
        Guid? SnapshotId, Guid IntentId, DateTimeOffset Timestamp, JsonElement AgentsActive, JsonElement UserPlane, JsonElement CausalChain,
        string TenantId);

    public sealed record SnapshotCreated(Guid SnapshotId, long LakeSnapshotId);

    public sealed record LakeSnapshot(long LakeSnapshotId, DateTimeOffset At, long SchemaVersion, IReadOnlyList<LakeChange> Changes,
        string? Author, string? CommitMessage);

    public sealed record LakeChange(string Kind, string Value);

    private static async Task<Results<Created<SnapshotCreated>, ProblemHttpResult>> PostAsync(HttpContext http, WorldModelSnapshots snapshots,
        CancellationToken cancellationToken)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: cancellationToken);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"The body is not valid JSON: {e.Message}");
        }
        if (body.ValueKind != JsonValueKind.Object) return Problems.BadRequest("The body must be a WorldModelSnapshot object.");
        var tenant = body.TryGetProperty("tenant_id", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (TenantAccess.Check(http, tenant) is { } denied) return denied;
        if (RequiredUuid(body, "intent_id", out _) is { } intentProblem) return Problems.BadRequest(intentProblem);
        if (!body.TryGetProperty("timestamp", out var timestamp) || timestamp.ValueKind != JsonValueKind.String
            || !JsonTyping.TryTimestamp(timestamp.GetString()!, out _))
            return Problems.BadRequest("timestamp is required: an ISO-8601 date-time.");
        var snapshotId = Guid.CreateVersion7();
        if (body.TryGetProperty("snapshot_id", out var given) && given.ValueKind != JsonValueKind.Null
            && RequiredUuid(body, "snapshot_id", out snapshotId) is { } idProblem)
            return Problems.BadRequest(idProblem);

        var record = Record(body, snapshotId);
        try
        {
            var stored = await snapshots.StoreAsync(tenant!, snapshotId, record, cancellationToken);
            if (stored.Replayed) http.Response.Headers[IngestApi.ReplayedHeader] = "true";
            return TypedResults.Created($"/data/snapshots/{snapshotId}", new SnapshotCreated(stored.SnapshotId, stored.LakeSnapshotId));
        }
        catch (IngestRejectedException rejected)
        {
            return rejected.ToProblem(http, rejected.Status == StatusCodes.Status409Conflict
                ? $"World-model snapshot {snapshotId} already exists with a different body."
                : null);
        }
    }

    internal static async Task<Results<Ok<Dictionary<string, object?>>, ProblemHttpResult>> GetAsync(HttpContext http,
        [FromRoute(Name = "snapshot_id")] string snapshotId, [FromQuery(Name = "tenant_id")] string? tenantId, WorldModelSnapshots snapshots,
        CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (!Guid.TryParse(snapshotId, out var id)) return Problems.BadRequest($"snapshot_id '{snapshotId}' is not a UUID.");
        var found = await snapshots.FindAsync(tenantId!, id, cancellationToken);
        return found is null ? Problems.NotFound($"World-model snapshot {id} does not exist for tenant {tenantId}.") : TypedResults.Ok(Document(found, tenantId!));
    }

    internal static async Task<Results<Ok<List<Dictionary<string, object?>>>, ProblemHttpResult>> ListAsync(HttpContext http,
        [FromQuery(Name = "tenant_id")] string? tenantId, [FromQuery(Name = "intent_id")] string? intentId,
        [FromQuery(Name = "from")] string? from, [FromQuery(Name = "to")] string? to, [FromQuery(Name = "limit")] int? limit,
        WorldModelSnapshots snapshots, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        Guid? intent = null;
        if (intentId is not null)
        {
            if (!Guid.TryParse(intentId, out var parsed)) return Problems.BadRequest($"intent_id '{intentId}' is not a UUID.");
            intent = parsed;
        }
        if (RequestValues.Time(from, "from", out var fromTime) is { } fromProblem) return fromProblem;
        if (RequestValues.Time(to, "to", out var toTime) is { } toProblem) return toProblem;
        if (limit is < 1 or > MaxLimit) return Problems.BadRequest($"limit must be between 1 and {MaxLimit}.");
        var rows = await snapshots.ListAsync(tenantId!, intent, fromTime, toTime, limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Ok(rows.Select(r => Document(r, tenantId!)).ToList());
    }

    internal static async Task<Results<Ok<List<LakeSnapshot>>, ProblemHttpResult>> LakeSnapshotsAsync(HttpContext http,
        [FromQuery(Name = "tenant_id")] string? tenantId, [FromQuery(Name = "after")] long? after, [FromQuery(Name = "limit")] int? limit,
        LakeAccessor lakes, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (limit is < 1 or > MaxLimit) return Problems.BadRequest($"limit must be between 1 and {MaxLimit}.");
        var lake = await lakes.GetAsync(cancellationToken);
        var history = new TenantHistory(tenantId!, await lake.TablesAsync(cancellationToken));
        var wanted = limit ?? DefaultLimit;
        List<LakeSnapshot> page = [];
        // Other tenants' commits are skipped, so read on until the page is full or the history ends.
        for (var from = after ?? -1; page.Count < wanted;)
        {
            var records = await lake.SnapshotsAsync(from, Math.Max(wanted, 100), cancellationToken);
            if (records.Count == 0) break;
            foreach (var record in records)
                if (page.Count < wanted && history.Changes(record) is { } changes)
                    page.Add(new LakeSnapshot(record.Snapshot.Id, record.Snapshot.Time, record.Snapshot.SchemaVersion,
                        changes.Select(c => new LakeChange(c.Kind, c.Value)).ToList(), record.Author, record.CommitMessage));
            from = records[^1].Snapshot.Id;
        }
        return TypedResults.Ok(page);
    }

    private static JsonElement Record(JsonElement body, Guid snapshotId)
    {
        var record = new Dictionary<string, JsonElement> { ["snapshot_id"] = JsonSerializer.SerializeToElement(snapshotId.ToString()) };
        foreach (var property in body.EnumerateObject())
            if (property.Name is not ("tenant_id" or "snapshot_id")) record[property.Name] = property.Value;
        return JsonSerializer.SerializeToElement(record);
    }

    private static Dictionary<string, object?> Document(Dictionary<string, object?> row, string tenant)
    {
        var document = new Dictionary<string, object?>(row) { ["tenant_id"] = tenant };
        return document;
    }

    private static string? RequiredUuid(JsonElement body, string name, out Guid value)
    {
        value = Guid.Empty;
        return body.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String && Guid.TryParse(element.GetString(), out value)
            ? null
            : $"{name} is required: a UUID string.";
    }
}
