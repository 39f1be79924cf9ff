using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Policy;

public static class PolicyApi
{
    public static RouteGroupBuilder MapPolicy(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/policy").WithTags("Policy").RequireScope(ApiScopes.Policy);
        group.MapPut("", PutAsync).WithSummary("Replace a tenant's policy (management keys): retention_days, allowed_tables, max_storage_gb.");
        group.MapGet("/{tenant_id}", GetAsync).WithSummary("A tenant's policy and its exact current usage per table.");
        group.MapGet("/{tenant_id}/audit", AuditAsync).WithSummary("Every change of the tenant's policy: who, when, old and new.");
        group.MapPost("/{tenant_id}/retention", RetentionAsync).WithSummary("Apply retention now; dry_run=true reports what would go.");
        return group;
    }

    public sealed record PolicyRequest(string? TenantId, int? RetentionDays, List<string>? AllowedTables, double? MaxStorageGb);

    public sealed record PolicyReply(TenantPolicy Policy, TenantUsage.Usage Usage);

    private static async Task<Results<Ok<TenantPolicy>, ProblemHttpResult>> PutAsync(HttpContext http, PolicyRequest request, PolicyStore policies,
        CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        if (!http.Caller().IsManagement) return Problems.Forbidden("Only management keys change policies.");
        if (request.RetentionDays is < 1) return Problems.BadRequest("retention_days must be at least 1 (leave it out for no limit).");
        if (request.MaxStorageGb is <= 0) return Problems.BadRequest("max_storage_gb must be positive (leave it out for no quota).");
        if (request.AllowedTables?.Select(TenantPolicy.PatternProblem).FirstOrDefault(p => p is not null) is { } pattern)
            return Problems.BadRequest($"Invalid allowed_tables entry {pattern}.");
        var policy = new TenantPolicy(request.TenantId!, request.RetentionDays, request.AllowedTables, request.MaxStorageGb);
        return TypedResults.Ok(await policies.PutAsync(policy, http.Caller().Id, cancellationToken));
    }

    private static async Task<Results<Ok<PolicyReply>, ProblemHttpResult>> GetAsync(HttpContext http, [FromRoute(Name = "tenant_id")] string tenantId,
        PolicyStore policies, LakeAccessor lakes, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        var policy = await policies.GetAsync(tenantId, cancellationToken);
        return TypedResults.Ok(new PolicyReply(policy, await TenantUsage.OfAsync(await lakes.GetAsync(cancellationToken), tenantId, cancellationToken)));
    }

    private static async Task<Results<Ok<List<PolicyStore.AuditEntry>>, ProblemHttpResult>> AuditAsync(HttpContext http,
        [FromRoute(Name = "tenant_id")] string tenantId, PolicyStore policies, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        return TypedResults.Ok(await policies.AuditAsync(tenantId, cancellationToken));
    }

    private static async Task<Results<Ok<RetentionJob.Report>, ProblemHttpResult>> RetentionAsync(HttpContext http,
        [FromRoute(Name = "tenant_id")] string tenantId, [FromQuery(Name = "dry_run")] bool? dryRun, RetentionJob retention,
        CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (!http.Caller().IsManagement) return Problems.Forbidden("Only management keys run retention.");
        return TypedResults.Ok(await retention.RunAsync(tenantId, dryRun ?? true, cancellationToken));
    }
}
