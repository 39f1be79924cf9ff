using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Maintenance;

public static class MaintenanceApi
{
    public static RouteGroupBuilder MapMaintenance(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/maintenance").WithTags("Maintenance").RequireScope(ApiScopes.Admin);
        group.MapGet("", ListAsync).WithSummary("The maintenance settings and the newest runs: what each merged, expired and deleted, and how long it took.");
        group.MapPost("/{step}", RunAsync)
            .WithSummary("Run a maintenance step now (flush, merge, expire, cleanup, orphans); dry_run=true reports what it would do.");
        return group;
    }

    public sealed record MaintenanceReply(MaintenanceOptions Settings, IReadOnlyList<MaintenanceRuns.Run> Runs);

    private static async Task<Ok<MaintenanceReply>> ListAsync(LakeAccessor lakes, IOptions<DataPlaneOptions> options,
        [FromQuery(Name = "limit")] int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(new MaintenanceReply(options.Value.Maintenance,
            await MaintenanceRuns.RecentAsync(await lakes.GetAsync(cancellationToken), Math.Clamp(limit ?? 50, 1, 1000), cancellationToken)));

    private static async Task<Results<Ok<MaintenanceRuns.Run>, ProblemHttpResult>> RunAsync(string step, [FromQuery(Name = "dry_run")] bool? dryRun,
        MaintenanceRunner runner, CancellationToken cancellationToken)
    {
        if (!MaintenanceSteps.Names.Contains(step))
            return Problems.NotFound($"No maintenance step '{step}'; the steps are {string.Join(", ", MaintenanceSteps.Names)}.");
        var run = await runner.RunAsync(step, dryRun ?? false, cancellationToken);
        return run is null
            ? Problems.Conflict($"Another replica is running '{step}' now; see GET /data/maintenance for its run.")
            : TypedResults.Ok(run);
    }
}
