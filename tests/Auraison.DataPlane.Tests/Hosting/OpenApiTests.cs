using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Hosting;

public class OpenApiTests
{
    [Fact]
    public async Task The_openapi_document_lists_every_mapped_endpoint()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        await using var factory = new DataPlaneFactory(lake.HostConfiguration);
        var client = factory.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json", TestContext.Current.CancellationToken);

        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => $"{method.Name.ToUpperInvariant()} {Normalize(path.Name)}"))
            .ToHashSet();
        var mapped = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // Endpoints that opt out (MCP's protocol endpoint, described in the README) are not REST operations.
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/swagger", StringComparison.Ordinal)
                        && e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .ToHashSet();
        Assert.NotEmpty(mapped);
        Assert.Subset(documented, mapped);
    }

    [Fact]
    public async Task The_table_listing_served_as_kept_json_is_documented_as_a_list_of_tables()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        await using var factory = new DataPlaneFactory(lake.HostConfiguration);

        var document = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json", TestContext.Current.CancellationToken);

        var schema = document.GetProperty("paths").GetProperty("/data/tables").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal("array", schema.GetProperty("type").GetString());
        Assert.EndsWith("/TableInfo", schema.GetProperty("items").GetProperty("$ref").GetString());
    }

    // OpenAPI names a catch-all parameter ({**key}) like any other ({key}).
    private static string Normalize(string route) => "/" + route.Trim('/').Replace("{**", "{", StringComparison.Ordinal);
}
