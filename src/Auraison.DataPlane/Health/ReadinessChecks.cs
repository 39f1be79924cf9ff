using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Retrieval;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Auraison.DataPlane.Health;

/// <summary>The catalog answers a query.</summary>
public sealed class CatalogHealthCheck(LakeAccessor lake) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Readiness.OfAsync(async () =>
        {
            var open = await lake.GetAsync(cancellationToken);
            await open.CheckCatalogAsync(cancellationToken);
            return $"catalog {open.Catalog.Description}";
        });
}

/// <summary>The object store answers its cheapest call (a HEAD of the bucket).</summary>
public sealed class ObjectStoreHealthCheck(LakeAccessor lake) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Readiness.OfAsync(async () =>
        {
            var open = await lake.GetAsync(cancellationToken);
            await open.Storage.CheckAsync(cancellationToken);
            return $"data path {open.DataPath}";
        });
}

public sealed class VectorStoreHealthCheck(IVectorStore vectors) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Readiness.OfAsync(async () =>
        {
            await vectors.CheckAsync(cancellationToken);
            return vectors.Description;
        });
}

internal static class Readiness
{
    /// <summary>Healthy with the check's description, or unhealthy with what failed.</summary>
    public static async Task<HealthCheckResult> OfAsync(Func<Task<string>> check)
    {
        try
        {
            return HealthCheckResult.Healthy(await check());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
