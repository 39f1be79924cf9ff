using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Features;

/// <summary>Point-in-time features on the lake: feature views, historical retrieval without leakage, online lookups.</summary>
public static class FeaturesApi
{
    private static readonly HashSet<string> ReservedViewNames = ["online", "historical"];

    public static RouteGroupBuilder MapFeatures(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/features").WithTags("Features");
        group.MapPost("/historical", HistoricalAsync).RequireScope(ApiScopes.Query)
            .Accepts<HistoricalRequest>("application/json", "application/vnd.apache.parquet")
            .WithSummary("Each row (entity, timestamp) with the view's features as they were known at its timestamp (ASOF, TTL respected).")
            .WithDescription("A JSON body {tenant_id, view, rows}, or the rows as a Parquet file with tenant_id and view in the query string.");
        group.MapGet("/online", OnlineAsync).RequireScope(ApiScopes.Query).WithSummary("An entity's latest feature values from the online table.");
        group.MapPut("/{view}", DeclareAsync).RequireScope(ApiScopes.Ingest)
            .WithSummary("Declare a feature view: source table, entity and timestamp columns, features, TTL.");
        group.MapGet("/{view}", GetAsync).RequireScope(ApiScopes.Query).WithSummary("One feature view.");
        group.MapPost("/{view}/materialize", MaterializeAsync).RequireScope(ApiScopes.Ingest)
            .WithSummary("Refresh the view's online values from the lake now (a background job does it periodically).");
        return group;
    }

    public sealed record FeatureViewRequest(string? TenantId, string? Source, string? Entity, string? Timestamp, List<string>? Features, long? TtlSeconds);

    public sealed record FeatureViewReply(string Name, string Source, string Entity, string Timestamp, IReadOnlyList<string> Features, long? TtlSeconds);

    public sealed record HistoricalRequest(string? TenantId, string? View, List<JsonElement>? Rows);

    public sealed record HistoricalReply(string View, IReadOnlyList<Dictionary<string, object?>> Rows);

    private static async Task<Results<Created<FeatureViewReply>, Ok<FeatureViewReply>, ProblemHttpResult>> DeclareAsync(HttpContext http, string view,
        FeatureViewRequest request, FeatureViews views, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        if (Parse(view, request) is not { } declared)
            return Problems.BadRequest("A feature view needs a name of lowercase letters, digits and '_' (not online or historical), a source table, " +
                                       "entity and timestamp columns, at least one feature column (valid field names) and a positive ttl_seconds if any.");
        var created = await views.SaveAsync(request.TenantId!, declared, cancellationToken);
        return created ? TypedResults.Created($"/data/features/{view}?tenant_id={request.TenantId}", Reply(declared)) : TypedResults.Ok(Reply(declared));
    }

    private static async Task<Results<Ok<FeatureViewReply>, ProblemHttpResult>> GetAsync(HttpContext http, string view,
        [FromQuery(Name = "tenant_id")] string? tenantId, FeatureViews views, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        return await views.FindAsync(tenantId!, view, cancellationToken) is { } found ? TypedResults.Ok(Reply(found)) : UnknownView(view, tenantId!);
    }

    private static async Task<Results<Ok<HistoricalReply>, ProblemHttpResult>> HistoricalAsync(HttpContext http,
        [FromQuery(Name = "tenant_id")] string? tenantId, [FromQuery(Name = "view")] string? viewName, FeatureViews views, PointInTime pointInTime,
        SpineReader spines, IOptions<DataPlaneOptions> options, CancellationToken cancellationToken)
    {
        HistoricalRequest? request;
        try
        {
            request = IngestBody.IsParquet(http.Request)
                ? new HistoricalRequest(tenantId, viewName, await spines.ReadParquetAsync(http.Request.Body, cancellationToken))
                : await http.Request.ReadFromJsonAsync<HistoricalRequest>(http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions,
                    cancellationToken);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"The body is not a historical request: {e.Message}");
        }
        if (request is null) return Problems.BadRequest("A body is required: {tenant_id, view, rows}, or a Parquet file of rows.");
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        if (request.View is null || await views.FindAsync(request.TenantId!, request.View, cancellationToken) is not { } view)
            return UnknownView(request.View ?? "", request.TenantId!);
        var limit = options.Value.Features.MaxHistoricalRows;
        if (request.Rows is not { Count: > 0 } rows || rows.Count > limit) return Problems.BadRequest($"rows is required: 1 to {limit} objects.");
        var bad = rows.FindIndex(row => row.ValueKind != JsonValueKind.Object || !row.TryGetProperty(view.Entity, out var entity)
            || entity.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)
            || !row.TryGetProperty(view.Timestamp, out var at) || at.ValueKind != JsonValueKind.String || !JsonTyping.TryTimestamp(at.GetString()!, out _));
        if (bad >= 0) return Problems.BadRequest($"Row {bad} needs {view.Entity} (a string or number) and {view.Timestamp} (an ISO-8601 date-time).");
        try
        {
            return TypedResults.Ok(new HistoricalReply(view.Name, await pointInTime.JoinAsync(request.TenantId!, view, rows, cancellationToken)));
        }
        catch (FeatureViewException e)
        {
            return Problems.Unprocessable(e.Message);
        }
    }

    private static async Task<Results<Ok<OnlineValues>, ProblemHttpResult>> OnlineAsync(HttpContext http, [FromQuery(Name = "tenant_id")] string? tenantId,
        [FromQuery(Name = "view")] string? view, [FromQuery(Name = "entity")] string? entity, FeatureViews views, OnlineFeatures online,
        CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (string.IsNullOrEmpty(entity)) return Problems.BadRequest("entity is required.");
        if (view is null || await views.FindAsync(tenantId!, view, cancellationToken) is not { } found) return UnknownView(view ?? "", tenantId!);
        return TypedResults.Ok(await online.LookupAsync(tenantId!, found, entity, cancellationToken));
    }

    private static async Task<Results<Ok<OnlineFeatures.Materialized>, ProblemHttpResult>> MaterializeAsync(HttpContext http, string view,
        [FromQuery(Name = "tenant_id")] string? tenantId, FeatureViews views, OnlineFeatures online, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (await views.FindAsync(tenantId!, view, cancellationToken) is not { } found) return UnknownView(view, tenantId!);
        try
        {
            return TypedResults.Ok(await online.MaterializeAsync(tenantId!, found, cancellationToken));
        }
        catch (FeatureViewException e)
        {
            return Problems.Unprocessable(e.Message);
        }
    }

    private static FeatureView? Parse(string name, FeatureViewRequest request)
    {
        if (!Identifiers.TryParseTable(name, out var asTable, out _) || asTable.Schema != Identifiers.DefaultSchema || name.Contains('.')
            || ReservedViewNames.Contains(name))
            return null;
        if (!Identifiers.TryParseTable(request.Source, out var source, out _, allowReservedSchema: true)) return null;
        if (request.Features is not { Count: > 0 } features || request.TtlSeconds is <= 0) return null;
        string[] columns = [request.Entity ?? "", request.Timestamp ?? "", .. features];
        // Lineage columns (_dp_ingested_at) may serve as the timestamp.
        if (columns.Any(c => !Identifiers.IsReadableColumn(c))
            || columns.Distinct(StringComparer.Ordinal).Count() != columns.Length)
            return null;
        return new FeatureView(name, source, request.Entity!, request.Timestamp!, features, request.TtlSeconds);
    }

    private static FeatureViewReply Reply(FeatureView view) =>
        new(view.Name, view.Source.ToString(), view.Entity, view.Timestamp, view.Features, view.TtlSeconds);

    private static ProblemHttpResult UnknownView(string view, string tenant) => Problems.NotFound($"Tenant {tenant} has no feature view '{view}'.");
}
