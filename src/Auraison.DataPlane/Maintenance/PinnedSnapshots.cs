using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Snapshots;

namespace Auraison.DataPlane.Maintenance;

/// <summary>Lake snapshots that world-model checkpoints replay at: expiry must keep them.</summary>
public static class PinnedSnapshots
{
    public static async Task<IReadOnlySet<long>> FindAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return (await connection.QueryAsync(null,
            "SELECT DISTINCT lake_snapshot_id FROM dataplane_ingest_lineage WHERE table_name = $1 AND lake_snapshot_id IS NOT NULL",
            r => r.GetInt64(0), cancellationToken, WorldModelSnapshots.Table.ToString())).ToHashSet();
    }

    /// <summary>Expires lake snapshots older than the cut-off, keeping every one a world-model snapshot pins.</summary>
    public static async Task<MaintenanceReport> ExpireUnpinnedAsync(Lakehouse lake, DateTimeOffset olderThan, bool dryRun,
        CancellationToken cancellationToken) =>
        await lake.ExpireSnapshotsAsync(olderThan, await FindAsync(lake, cancellationToken), dryRun, cancellationToken);
}
