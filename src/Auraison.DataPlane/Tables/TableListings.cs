using System.Collections.Concurrent;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Policy;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// Table listings kept per tenant and policy version, at the snapshot they show. An agent lists tables before nearly
/// every question; at a newer snapshot only the tables the commits since changed are read again (all of them when a
/// commit created or dropped something), so a listing costs the tables that changed, not the lake.
/// </summary>
public sealed class TableListings(IOptions<DataPlaneOptions> options)
{
    private const int MaxListings = 10_000;
    private readonly ConcurrentDictionary<string, Listing> _listed = new(StringComparer.Ordinal);

    private sealed record Listing(long SnapshotId, IReadOnlyDictionary<long, TablesApi.TableInfo> Tables)
    {
        public IReadOnlyList<TablesApi.TableInfo> Ordered { get; } = [.. Tables.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];
    }

    public async Task<IReadOnlyList<TablesApi.TableInfo>> GetAsync(Lakehouse lake, string tenant, TenantPolicy policy, CancellationToken cancellationToken)
    {
        var snapshot = await lake.LatestAsync(TimeSpan.FromMilliseconds(options.Value.Query.LatestSnapshotMilliseconds), cancellationToken);
        var key = $"{tenant}\u001f{policy.Key}";
        var known = _listed.GetValueOrDefault(key);
        if (known?.SnapshotId == snapshot.Id) return known.Ordered;
        var changed = known is not null && known.SnapshotId < snapshot.Id
            ? await lake.TablesChangedAsync(known.SnapshotId, snapshot.Id, cancellationToken)
            : null;
        bool Allowed(LakeTable table) => policy.Allows(new Schema.TableName(table.SchemaName, table.Name));
        Dictionary<long, TablesApi.TableInfo> tables;
        if (changed is null)
            tables = await TablesApi.DescribeByIdAsync(lake, tenant, Allowed, SnapshotSelector.ById(snapshot.Id), cancellationToken);
        else
        {
            tables = known!.Tables.Where(t => !changed.Contains(t.Key)).ToDictionary();
            if (changed.Count > 0)
                foreach (var (id, table) in await TablesApi.DescribeByIdAsync(lake, tenant, Allowed, SnapshotSelector.ById(snapshot.Id), cancellationToken,
                             [.. changed]))
                    tables[id] = table;
        }
        var listing = new Listing(snapshot.Id, tables);
        if (_listed.Count >= MaxListings) _listed.Clear();
        // A slower request that read an older snapshot must not replace a newer listing.
        _listed.AddOrUpdate(key, listing, (_, current) => current.SnapshotId > listing.SnapshotId ? current : listing);
        return listing.Ordered;
    }
}
