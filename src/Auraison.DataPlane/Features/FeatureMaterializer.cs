using Auraison.DataPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Features;

/// <summary>Keeps every feature view's online values fresh, every <c>DataPlane:Features:MaterializeSeconds</c> (0: never).</summary>
public sealed class FeatureMaterializer(FeatureViews views, OnlineFeatures online, IOptions<DataPlaneOptions> options, ILogger<FeatureMaterializer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Features.MaterializeSeconds);
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var (tenant, view) in await views.AllAsync(stoppingToken))
                    await MaterializeAsync(tenant, view, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Feature materialisation failed; the next run retries");
            }
        }
    }

    private async Task MaterializeAsync(string tenant, FeatureView view, CancellationToken cancellationToken)
    {
        try
        {
            var done = await online.MaterializeAsync(tenant, view, cancellationToken);
            if (done.Entities > 0) logger.LogInformation("Feature view {Tenant}/{View}: {Entities} entities up to lake snapshot {Snapshot}",
                tenant, view.Name, done.Entities, done.LakeSnapshotId);
        }
        catch (FeatureViewException e)
        {
            logger.LogWarning("Feature view {Tenant}/{View} cannot be materialised: {Reason}", tenant, view.Name, e.Message);
        }
    }
}
