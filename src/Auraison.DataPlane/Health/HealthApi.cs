using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Auraison.DataPlane.Health;

public static class HealthApi
{
    public static RouteGroupBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", Live).WithSummary("The process is up.");
        group.MapGet("/ready", ReadyAsync).WithSummary("The catalog, the object store and the vector store answer.");
        return group;
    }

    private static Ok<HealthStatusReply> Live() => TypedResults.Ok(new HealthStatusReply("healthy", []));

    private static async Task<Results<Ok<HealthStatusReply>, JsonHttpResult<HealthStatusReply>>> ReadyAsync(
        HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var reply = new HealthStatusReply(
            report.Status.ToString().ToLowerInvariant(),
            report.Entries.Select(e => new HealthCheckReply(e.Key, e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description)).ToList());
        return report.Status == HealthStatus.Healthy
            ? TypedResults.Ok(reply)
            : TypedResults.Json(reply, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

public sealed record HealthStatusReply(string Status, IReadOnlyList<HealthCheckReply> Checks);

public sealed record HealthCheckReply(string Name, string Status, string? Description);
