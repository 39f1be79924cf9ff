using Auraison.DataPlane.Auth;

namespace Auraison.DataPlane.Mcp;

/// <summary>
/// The Model Context Protocol endpoint (<c>/mcp</c>, Streamable HTTP, stateless so any replica answers any request):
/// agents call the lake's read tools with the same API keys as HTTP, scoped to the key's tenant.
/// </summary>
public static class McpApi
{
    public const string Path = "/mcp";

    public static IServiceCollection AddLakeMcp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddMcpServer(server => server.ServerInfo = new() { Name = "auraison-dataplane", Version = "1.0" })
            .WithHttpTransport(http => http.Stateless = true)
            .WithTools<LakeTools>()
            .WithResources<LakeResources>()
            .WithPrompts<LakePrompts>();
        return services;
    }

    public static IEndpointConventionBuilder MapLakeMcp(this WebApplication app)
    {
        // MCP's endpoints are not route handlers, so the scope filter does not run for them: authenticate here.
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use(AuthenticateAsync));
        // A JSON-RPC protocol endpoint, not REST operations: the README and the tools' own schemas describe it.
        return app.MapMcp(Path).ExcludeFromDescription();
    }

    private static async Task AuthenticateAsync(HttpContext http, RequestDelegate next)
    {
        var (caller, problem) = await http.RequestServices.GetRequiredService<Authenticator>().AuthenticateAsync(http);
        if (problem is not null)
        {
            await problem.ExecuteAsync(http);
            return;
        }
        http.Items[typeof(ApiCaller)] = caller;
        await next(http);
    }
}
