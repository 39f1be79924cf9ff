using System.ComponentModel;
using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Tables;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Auraison.DataPlane.Mcp;

/// <summary>Table schemas as MCP resources, for hosts that load context before calling tools.</summary>
[McpServerResourceType]
public sealed class LakeResources(IHttpContextAccessor accessor, IOptions<JsonOptions> json, LakeAccessor lakes, PolicyStore policies)
{
    [McpServerResource(UriTemplate = "lake://{tenant_id}/tables/{table}", Name = "table_schema", MimeType = "application/json")]
    [Description("A table as the tenant sees it: its columns with types, the tenant's row count and the last change.")]
    public async Task<string> TableSchemaAsync(string tenant_id, string table, CancellationToken cancellationToken)
    {
        var http = McpCalls.Authorize(accessor, ApiScopes.Query);
        var info = McpCalls.Value(await TablesApi.GetAsync(http, table, tenant_id, lakes, policies, cancellationToken));
        return JsonSerializer.Serialize(info, json.Value.SerializerOptions);
    }
}
