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
        app.AuthenticatePath(Path);
        // A JSON-RPC protocol endpoint, not REST operations: the README and the tools' own schemas describe it.
        return app.MapMcp(Path).ExcludeFromDescription();
    }
}
