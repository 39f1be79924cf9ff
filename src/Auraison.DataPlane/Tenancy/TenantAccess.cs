using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Auraison.DataPlane.Tenancy;

/// <summary>The request's tenant_id must be well formed (400) and one the caller's key may act for (403).</summary>
public static class TenantAccess
{
    public static ProblemHttpResult? Check(HttpContext http, string? tenantId)
    {
        if (TenantIds.Problem(tenantId) is { } problem) return Problems.BadRequest(problem);
        var caller = http.Caller();
        return caller.CanActFor(tenantId!)
            ? null
            : Problems.Forbidden($"The API key belongs to tenant {caller.Tenant} and cannot act for tenant {tenantId}.");
    }
}
