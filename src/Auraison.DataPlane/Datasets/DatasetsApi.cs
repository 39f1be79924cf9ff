using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Datasets;

/// <summary>Training datasets exported from the lake (LeRobot v3.0), pinned to a snapshot and reproducible.</summary>
public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasets(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/datasets").WithTags("Datasets");
        group.MapPost("", StartAsync).RequireScope(ApiScopes.Query)
            .WithSummary("Export a dataset (LeRobot v3.0, or Parquet shards with a manifest) of the tenant's rows; 202 with its id, then poll it.");
        group.MapGet("/{dataset_id}", GetAsync).RequireScope(ApiScopes.Query)
            .WithSummary("An export's status, progress, lake snapshot, location and files (readable through /data/objects).");
        return group;
    }

    private static async Task<Results<Accepted<DatasetStatus>, Ok<DatasetStatus>, ProblemHttpResult>> StartAsync(HttpContext http, DatasetRequest request,
        DatasetExports exports, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        var (plan, problem) = DatasetRequests.Plan(request);
        if (plan is null) return Problems.BadRequest(problem!);
        DatasetStatus status;
        bool started;
        try
        {
            (status, started) = await exports.StartAsync(plan, DatasetRequests.Canonical(request), http.Caller().Id, cancellationToken);
        }
        catch (DatasetException e)
        {
            return Problems.Of(e.Status, e.Status == StatusCodes.Status422UnprocessableEntity ? "Unprocessable content" : "Query not allowed", e.Message);
        }
        var url = $"/data/datasets/{status.DatasetId}?tenant_id={request.TenantId}";
        return started ? TypedResults.Accepted(url, status) : TypedResults.Ok(status);
    }

    private static async Task<Results<Ok<DatasetStatus>, ProblemHttpResult>> GetAsync(HttpContext http, [FromRoute(Name = "dataset_id")] string datasetId,
        [FromQuery(Name = "tenant_id")] string? tenantId, DatasetExports exports, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        return await exports.FindAsync(tenantId!, datasetId, cancellationToken) is { } status
            ? TypedResults.Ok(status)
            : Problems.NotFound($"Tenant {tenantId} has no dataset {datasetId}.");
    }
}
