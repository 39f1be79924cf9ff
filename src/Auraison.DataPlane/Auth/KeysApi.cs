using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Auraison.DataPlane.Auth;

public static class KeysApi
{
    public static RouteGroupBuilder MapKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/keys").WithTags("Keys").RequireScope(ApiScopes.Admin);
        group.MapPost("", CreateAsync).WithSummary("Create an API key for a tenant (or a management key without one); the key is shown once.");
        group.MapGet("", ListAsync).WithSummary("All keys, without their secrets.");
        group.MapDelete("/{key_id}", RevokeAsync).WithSummary("Revoke a key; it stops working at once.");
        return group;
    }

    public sealed record CreateKeyRequest(string? TenantId, List<string>? Scopes, string? Name);

    public sealed record CreatedKey(string Key, ApiKeys.KeyInfo Info);

    private static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateAsync(HttpContext http, CreateKeyRequest request,
        LakeAccessor lakes, CancellationToken cancellationToken)
    {
        if (request.TenantId is not null && TenantIds.Problem(request.TenantId) is { } tenantProblem) return Problems.BadRequest(tenantProblem);
        if (request.Scopes is not { Count: > 0 }) return Problems.BadRequest($"scopes is required: some of {string.Join(", ", ApiScopes.All)}.");
        if (request.Scopes.FirstOrDefault(s => !ApiScopes.All.Contains(s)) is { } unknown)
            return Problems.BadRequest($"Unknown scope '{unknown}'; scopes are {string.Join(", ", ApiScopes.All)}.");
        if (request.TenantId is not null && request.Scopes.Contains(ApiScopes.Admin))
            return Problems.BadRequest("The admin scope is for management keys (no tenant_id) only.");
        var (key, info) = await ApiKeys.CreateAsync(await lakes.GetAsync(cancellationToken), request.TenantId, request.Scopes.Distinct().ToList(),
            request.Name, http.Caller().Id, cancellationToken);
        return TypedResults.Created($"/data/keys/{info.KeyId}", new CreatedKey(key, info));
    }

    private static async Task<Ok<List<ApiKeys.KeyInfo>>> ListAsync(LakeAccessor lakes, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ApiKeys.ListAsync(await lakes.GetAsync(cancellationToken), cancellationToken));

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string key_id, LakeAccessor lakes, Authenticator authenticator,
        CancellationToken cancellationToken)
    {
        if (!await ApiKeys.RevokeAsync(await lakes.GetAsync(cancellationToken), key_id, cancellationToken))
            return Problems.NotFound($"No live key with id {key_id}.");
        authenticator.ForgetKeys();
        return TypedResults.NoContent();
    }
}
