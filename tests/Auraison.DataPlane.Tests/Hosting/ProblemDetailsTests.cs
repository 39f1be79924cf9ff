using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Hosting;

public class ProblemDetailsTests
{
    [Fact]
    public async Task An_unknown_route_is_a_problem_json_404()
    {
        await using var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        await using var factory = new DataPlaneFactory(lake.HostConfiguration);

        var response = await factory.CreateClient().GetAsync("/data/nothing-here", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }
}
