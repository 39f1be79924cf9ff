using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Snapshots;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Query;

public static class QueryApi
{
    public static RouteGroupBuilder MapQuery(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/query").WithTags("Query").RequireScope(ApiScopes.Query);
        group.MapGet("", GetAsync).WithSummary("Run one read-only DuckDB SQL query over the tenant's tables.");
        group.MapPost("", PostAsync).WithSummary("Same as GET, with the fields in a JSON body (for long SQL).");
        return group;
    }

    /// <summary>A query: SQL, whose data, and which version of the lake (latest unless a snapshot or time is given).</summary>
    public sealed record QueryRequest
    {
        [FromQuery(Name = "sql")] public string? Sql { get; init; }
        [FromQuery(Name = "tenant_id")] public string? TenantId { get; init; }
        [FromQuery(Name = "lake_snapshot_id")] public long? LakeSnapshotId { get; init; }
        [FromQuery(Name = "as_of")] public string? AsOf { get; init; }

        /// <summary>A world-model snapshot id: replay sees the lake exactly as it was at that checkpoint.</summary>
        [FromQuery(Name = "as_of_snapshot")] public string? AsOfSnapshot { get; init; }
        [FromQuery(Name = "max_rows")] public int? MaxRows { get; init; }
    }

    private static Task<Results<Ok<QueryReply>, ProblemHttpResult>> GetAsync(HttpContext http, [AsParameters] QueryRequest request,
        QuerySessions sessions, QueryRunner runner, WorldModelSnapshots snapshots, PolicyStore policies, RetentionFloors floors,
        CancellationToken cancellationToken) =>
        RunAsync(http, request, new(sessions, runner, snapshots, policies, floors), cancellationToken);

    private static Task<Results<Ok<QueryReply>, ProblemHttpResult>> PostAsync(HttpContext http, [FromBody] QueryRequest request,
        QuerySessions sessions, QueryRunner runner, WorldModelSnapshots snapshots, PolicyStore policies, RetentionFloors floors,
        CancellationToken cancellationToken) =>
        RunAsync(http, request, new(sessions, runner, snapshots, policies, floors), cancellationToken);

    /// <summary>What running a query needs.</summary>
    internal sealed record Services(QuerySessions Sessions, QueryRunner Runner, WorldModelSnapshots Snapshots, PolicyStore Policies, RetentionFloors Floors);

    internal static async Task<Results<Ok<QueryReply>, ProblemHttpResult>> RunAsync(HttpContext http, QueryRequest request, Services services,
        CancellationToken cancellationToken)
    {
        var (sessions, runner, snapshots, policies, floors) = services;
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        if (string.IsNullOrWhiteSpace(request.Sql)) return Problems.BadRequest("sql is required.");
        if (request.MaxRows is < 1) return Problems.BadRequest("max_rows must be at least 1.");
        if (Selector(request, out var selector) is { } selectorProblem) return selectorProblem;
        try
        {
            if (request.AsOfSnapshot is { } checkpoint)
            {
                if (!Guid.TryParse(checkpoint, out var snapshotId)) return Problems.BadRequest($"as_of_snapshot '{checkpoint}' is not a UUID.");
                var pinned = await snapshots.LakeSnapshotOfAsync(request.TenantId!, snapshotId, cancellationToken);
                if (pinned is null) return Problems.NotFound($"World-model snapshot {snapshotId} does not exist for tenant {request.TenantId}.");
                selector = SnapshotSelector.ById(pinned.Value);
            }
            var policy = await policies.GetAsync(request.TenantId!, cancellationToken);
            var query = await sessions.ParseAsync(request.Sql, cancellationToken);
            if (query.Refusal is { } refusal) throw QueryRunner.Refused(refusal);
            // A checkpoint's snapshot stays readable for as long as the checkpoint; other time travel ends at the last retention run.
            var oldestReadable = selector is SnapshotSelector.LatestSnapshot || request.AsOfSnapshot is not null
                ? 0
                : await floors.FloorAsync(request.TenantId!, cancellationToken);
            // Time travel reads exactly the snapshot named, whatever session answers.
            long? asked = selector is SnapshotSelector.LatestSnapshot ? null : await sessions.ResolveAsync(selector, cancellationToken);
            if (asked is { } id) selector = SnapshotSelector.ById(id);
            for (var attempt = 0; ; attempt++)
            {
                using var held = await sessions.GetAsync(request.TenantId!, selector, policy.Allows, policy.Key, cancellationToken, query.TablesNamed, oldestReadable);
                try
                {
                    return TypedResults.Ok(await runner.RunAsync(held.Session, query, request.MaxRows, cancellationToken, asked));
                }
                catch (SessionMovedException) when (attempt == 0)
                {
                    // Another query moved the session on to a newer snapshot: the next lookup builds one for the snapshot asked.
                }
            }
        }
        catch (SessionFilesGoneException)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Cache too small",
                "The local cache cannot keep the files this query reads while it runs; raise DataPlane:S3:CacheMegabytes.");
        }
        catch (SnapshotNotFoundException e)
        {
            return Problems.NotFound(e.Message);
        }
        catch (QueryFailedException e)
        {
            return Problems.Of(e.Status, e.Title, e.Message);
        }
    }

    private static ProblemHttpResult? Selector(QueryRequest request, out SnapshotSelector selector)
    {
        selector = SnapshotSelector.Latest;
        if (new object?[] { request.LakeSnapshotId, request.AsOf, request.AsOfSnapshot }.Count(v => v is not null) > 1)
            return Problems.BadRequest("Give at most one of lake_snapshot_id, as_of and as_of_snapshot.");
        if (request.LakeSnapshotId is { } id)
        {
            if (id < 0) return Problems.BadRequest("lake_snapshot_id must not be negative.");
            selector = SnapshotSelector.ById(id);
        }
        else if (request.AsOf is not null)
        {
            if (RequestValues.Time(request.AsOf, "as_of", out var time) is { } timeProblem) return timeProblem;
            selector = SnapshotSelector.AsOf(time!.Value);
        }
        return null;
    }
}
