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

    // OpenAPI names a catch-all parameter ({**key}) like any other ({key}).
    private static string Normalize(string route) => "/" + route.Trim('/').Replace("{**", "{", StringComparison.Ordinal);
}
