using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Health;

public class HealthApiTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Ready_is_200_when_catalog_object_store_and_vector_store_answer(LakeMode mode)
    {
        var (lake, factory) = await DataPlaneFactory.CreateAsync(mode);
        await using var _ = lake;
        await using var __ = factory;

        var response = await factory.CreateClient().GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(["catalog", "object_store", "vectors"], body.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order());
        Assert.All(body.GetProperty("checks").EnumerateArray(), c => Assert.Equal("healthy", c.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task The_embedded_default_creates_its_data_directory()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "auraison-tests", "fresh-" + Guid.NewGuid().ToString("N"), "data");
        await using var factory = new DataPlaneFactory(new Dictionary<string, string?> { ["DataPlane:DataDir"] = dataDir });

        var response = await factory.CreateClient().GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(File.Exists(Path.Combine(dataDir, "catalog.ducklake")));
        Assert.True(Directory.Exists(Path.Combine(dataDir, "lake")));
    }

    [Fact]
    public async Task Ready_is_503_naming_the_catalog_when_it_cannot_be_reached()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        var configuration = new Dictionary<string, string?>(lake.HostConfiguration)
        {
            ["DataPlane:Catalog"] = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=2",
        };
        await using var factory = new DataPlaneFactory(configuration);

        var response = await factory.CreateClient().GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var catalogCheck = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "catalog");
        Assert.Equal("unhealthy", catalogCheck.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Live_is_200_even_when_the_catalog_is_down()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        var configuration = new Dictionary<string, string?>(lake.HostConfiguration)
        {
            ["DataPlane:Catalog"] = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=2",
        };
        await using var factory = new DataPlaneFactory(configuration);

        var response = await factory.CreateClient().GetAsync("/health/live", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
