using System.Globalization;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
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

    /// <summary>Snapshots pinned by checkpoints within their tenant's retention (per the tenants' policies now).</summary>
    public static async Task<IReadOnlySet<long>> LiveAsync(Lakehouse lake, Policy.PolicyStore policies, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoffs = (await policies.AllAsync(lake, cancellationToken)).Where(p => p.RetentionDays is not null)
            .ToDictionary(p => p.TenantId, p => now.AddDays(-p.RetentionDays!.Value));
        return await FindAsync(lake, tenant => cutoffs.TryGetValue(tenant, out var cutoff) ? cutoff : null, cancellationToken);
    }
}
