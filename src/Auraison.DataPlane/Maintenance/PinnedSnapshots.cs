using System.Globalization;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Snapshots;

namespace Auraison.DataPlane.Maintenance;

/// <summary>Lake snapshots that world-model checkpoints replay at: expiry must keep them.</summary>
public static class PinnedSnapshots
{
    /// <summary>
    /// Snapshots pinned by checkpoints still live: a checkpoint stops pinning once it is older than its own tenant's
    /// retention cut-off (<paramref name="cutoffOf"/> gives it, or null for a tenant without one).
    /// </summary>
    public static async Task<IReadOnlySet<long>> FindAsync(Lakehouse lake, Func<string, DateTimeOffset?> cutoffOf, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var checkpoints = await connection.QueryAsync(null,
            "SELECT tenant_id, CAST(ingested_at AS VARCHAR), lake_snapshot_id FROM dataplane_ingest_lineage WHERE table_name = $1 AND lake_snapshot_id IS NOT NULL",
            r => (Tenant: r.GetString(0), At: DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture), Snapshot: r.GetInt64(2)),
            cancellationToken, WorldModelSnapshots.Table.ToString());
        return checkpoints.Where(c => cutoffOf(c.Tenant) is not { } cutoff || c.At >= cutoff).Select(c => c.Snapshot).ToHashSet();
    }

    /// <summary>Expires lake snapshots older than the cut-off, keeping every one a world-model snapshot pins.</summary>
    public static async Task<MaintenanceReport> ExpireUnpinnedAsync(Lakehouse lake, DateTimeOffset olderThan, bool dryRun,
        CancellationToken cancellationToken) =>
        await lake.ExpireSnapshotsAsync(olderThan, await FindAsync(lake, _ => null, cancellationToken), dryRun, cancellationToken);
}
