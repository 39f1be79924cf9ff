using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Retrieval;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Auraison.DataPlane.Health;

/// <summary>The catalog answers a query and the object store its cheapest call (a HEAD of the bucket).</summary>
public sealed class LakeHealthCheck(LakeAccessor lake) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var open = await lake.GetAsync(cancellationToken);
            await open.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy($"catalog {open.Catalog.Description}, data path {open.DataPath}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}

public sealed class VectorStoreHealthCheck(IVectorStore vectors) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await vectors.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy(vectors.Description);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
