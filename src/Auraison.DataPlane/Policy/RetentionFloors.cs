using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Policy;

/// <summary>
/// Where a tenant's time travel begins. Retention forgets a tenant's deleted files from every snapshot, but rows in
/// files that also hold newer rows stay there, hidden only from later snapshots; so the tenant reads no snapshot
/// older than its last retention run, except those its live checkpoints pin. Other tenants are not affected.
/// </summary>
public sealed class RetentionFloors(LakeAccessor lakes)
{
    public async Task RecordAsync(Lakehouse lake, string tenant, DateTimeOffset cutoff, DateTimeOffset ranAt, CancellationToken cancellationToken)
    {
        var latest = await lake.LatestAsync(TimeSpan.Zero, cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null,
            "INSERT INTO dataplane_retention_runs VALUES ($1, $2, CAST($3 AS TIMESTAMP WITH TIME ZONE), CAST($4 AS TIMESTAMP WITH TIME ZONE)) ON CONFLICT DO NOTHING",
            cancellationToken, tenant, latest.Id, CatalogReader.Timestamp(cutoff), CatalogReader.Timestamp(ranAt));
    }

    /// <summary>The oldest lake snapshot the tenant may read (0 before any retention run).</summary>
    public async Task<long> FloorAsync(string tenant, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.ScalarAsync<long?>(null, "SELECT max(lake_snapshot_id) FROM dataplane_retention_runs WHERE tenant_id = $1",
            cancellationToken, tenant) ?? 0;
    }
}
