using System.Net;
using System.Security.Cryptography;
using System.Text;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Auth;

/// <summary>
/// Resolves <c>Authorization: Bearer &lt;key&gt;</c> to a caller; 401 for a missing, unknown or revoked key. A key
/// found is trusted for <see cref="Reuse"/> without asking the catalog again; revoking through this process forgets
/// every key at once, through another replica takes effect here within that time.
/// </summary>
public sealed class Authenticator(IOptions<DataPlaneOptions> options, LakeAccessor lakes, TimeProvider time)
{
    public static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);

    private readonly RecentValues<string, ApiCaller> _recent = new(time, Reuse);

    private static readonly ApiCaller Anonymous = new("anonymous", null, ApiScopes.All);
    private static readonly ApiCaller Bootstrap = new("bootstrap", null, ApiScopes.All);

    public async Task<(ApiCaller? Caller, ProblemHttpResult? Problem)> AuthenticateAsync(HttpContext http)
    {
        var settings = options.Value;
        if (!settings.AuthRequired)
        {
            // Without keys the service is a local tool: callers from other machines are refused.
            var remote = http.Connection.RemoteIpAddress;
            return remote is null || IPAddress.IsLoopback(remote)
                ? (Anonymous, null)
                : (null, Problems.Forbidden("Authentication is off (embedded default), so only loopback callers are served."));
        }
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return (null, Unauthorized(http, "Send an API key as 'Authorization: Bearer <key>'."));
        var key = header["Bearer ".Length..].Trim();
        if (settings.Auth.BootstrapKey is { Length: > 0 } bootstrap
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(bootstrap)))
            return (Bootstrap, null);
        var caller = await _recent.GetAsync(key, async () => await ApiKeys.ResolveAsync(await lakes.GetAsync(http.RequestAborted), key, http.RequestAborted));
        return caller is null ? (null, Unauthorized(http, "The API key is unknown or revoked.")) : (caller, null);
    }

    /// <summary>Asks the catalog again for every key (one was just revoked).</summary>
    public void ForgetKeys() => _recent.Clear();

    private static ProblemHttpResult Unauthorized(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }
}

public static class ScopeRequirement
{
    /// <summary>
    /// Authenticates every request under <paramref name="path"/> before it reaches endpoints that are not route
    /// handlers (MCP, the metrics scrape), which the scope filter does not run for; with <paramref name="scope"/>, requires it.
    /// </summary>
    public static void AuthenticatePath(this WebApplication app, PathString path, string? scope = null) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments(path), branch => branch.Use(async (http, next) =>
        {
            var (caller, problem) = await http.RequestServices.GetRequiredService<Authenticator>().AuthenticateAsync(http);
            problem ??= scope is null || caller!.Has(scope) ? null : Problems.Forbidden($"The API key lacks the '{scope}' scope.");
            if (problem is not null)
            {
                await problem.ExecuteAsync(http);
                return;
            }
            http.Items[typeof(ApiCaller)] = caller;
            await next(http);
        }));

    /// <summary>Authenticates the caller and requires the scope before the handler runs (401 / 403 otherwise).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var (caller, problem) = await http.RequestServices.GetRequiredService<Authenticator>().AuthenticateAsync(http);
            if (problem is not null) return problem;
            if (!caller!.Has(scope)) return Problems.Forbidden($"The API key lacks the '{scope}' scope.");
            http.Items[typeof(ApiCaller)] = caller;
            return await next(context);
        });
}
