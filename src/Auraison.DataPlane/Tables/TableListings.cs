using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Policy;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// Table listings kept per tenant, lake snapshot and policy version: an agent lists tables before nearly every
/// question, and its listing changes only with a commit or a policy change, each of which makes a new key.
/// </summary>
public sealed class TableListings(TimeProvider time, IOptions<DataPlaneOptions> options)
{
    private readonly RecentValues<string, List<TablesApi.TableInfo>> _listed = new(time, TimeSpan.FromMinutes(10));

    public async Task<IReadOnlyList<TablesApi.TableInfo>> GetAsync(Lakehouse lake, string tenant, TenantPolicy policy, CancellationToken cancellationToken)
    {
        var snapshot = await lake.LatestAsync(TimeSpan.FromMilliseconds(options.Value.Query.LatestSnapshotMilliseconds), cancellationToken);
        return (await _listed.GetAsync($"{tenant}\u001f{snapshot.Id}\u001f{policy.Key}", async () =>
            await TablesApi.DescribeAsync(lake, tenant, policy.Allows, cancellationToken, SnapshotSelector.ById(snapshot.Id))))!;
    }
}
