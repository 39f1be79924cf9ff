using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Features;

/// <summary>Keeps every feature view's online values fresh, every <c>DataPlane:Features:MaterializeSeconds</c> (0: never).</summary>
public sealed class FeatureMaterializer(FeatureViews views, OnlineFeatures online, IOptions<DataPlaneOptions> options, ILogger<FeatureMaterializer> logger)
    : PeriodicService(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.Features.MaterializeSeconds);

    protected override string What => "Feature materialisation";

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var (tenant, view) in await views.AllAsync(cancellationToken))
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
}
