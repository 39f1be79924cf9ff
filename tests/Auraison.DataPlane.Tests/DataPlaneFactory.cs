using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests;

/// <summary>The service in-process, configured for one test's private lake; one factory per test.</summary>
public sealed class DataPlaneFactory(IReadOnlyDictionary<string, string?> configuration, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public static async Task<(TestLake Lake, DataPlaneFactory Factory)> CreateAsync(LakeMode mode)
    {
        var lake = await TestLake.CreateAsync(mode);
        return (lake, new DataPlaneFactory(lake.HostConfiguration));
    }

    /// <summary>A client that presents the test management key.</summary>
    public HttpClient CreateAuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestLake.BootstrapKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in configuration) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services);
    }
}
