using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Features;

/// <summary>The tenant's query session over a feature view's source table (as its policy allows it), at the latest snapshot.</summary>
public sealed class FeatureSources(QuerySessions sessions, PolicyStore policies)
{
    /// <summary>With <paramref name="withLineage"/>, <c>lineage.ingests</c> too (which commit wrote each row).</summary>
    /// <exception cref="FeatureViewException">The source table does not exist for the tenant or its policy does not allow it.</exception>
    public async Task<HeldSession> OpenAsync(string tenant, FeatureView view, CancellationToken cancellationToken, bool withLineage = false)
    {
        var policy = await policies.GetAsync(tenant, cancellationToken);
        HashSet<TableName> tables = withLineage ? [view.Source, LineageTable.Name] : [view.Source];
        var held = await sessions.GetAsync(tenant, SnapshotSelector.Latest, policy.Allows, policy.Key, cancellationToken, tables);
        if (held.Session.Tables.Contains(view.Source)) return held;
        held.Dispose();
        throw new FeatureViewException($"Table {view.Source} does not exist for this tenant or its policy does not allow it.");
    }
}
