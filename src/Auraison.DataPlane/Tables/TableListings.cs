using System.Collections.Concurrent;
using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Policy;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// Table listings kept per tenant and policy version, at the snapshot they show. An agent lists tables before nearly
/// every question; at a newer snapshot only the tables the commits since changed are read again (all of them when a
/// commit created or dropped something), so a listing costs the tables that changed, not the lake. Each table's JSON
/// is kept too: a listing of 10,000 tables is 2.7 MB, and writing it anew took longer than reading what changed.
/// </summary>
public sealed class TableListings(IOptions<DataPlaneOptions> options, IOptions<JsonOptions> json)
{
    private const int MaxListings = 10_000;
    private readonly ConcurrentDictionary<string, Listing> _listed = new(StringComparer.Ordinal);

    /// <summary>A table as listed, and its JSON.</summary>
    private sealed record Listed(TablesApi.TableInfo Table, byte[] Json);

    private sealed record Listing(long SnapshotId, IReadOnlyDictionary<long, Listed> Tables)
    {
        // Sorted once: the typed list and the JSON array follow the same order, each made when first asked for.
        private readonly Listed[] _inOrder = [.. Tables.Values.OrderBy(t => t.Table.Name, StringComparer.Ordinal)];

        public IReadOnlyList<TablesApi.TableInfo> Ordered => field ??= [.. _inOrder.Select(t => t.Table)];

        /// <summary>The listing as the JSON array the API returns, put together from each table's JSON.</summary>
        public byte[] Json => field ??= JsonArray(_inOrder.Select(t => t.Json));
    }

    public async Task<IReadOnlyList<TablesApi.TableInfo>> GetAsync(Lakehouse lake, string tenant, TenantPolicy policy, CancellationToken cancellationToken) =>
        (await ListingAsync(lake, tenant, policy, cancellationToken)).Ordered;

    /// <summary>The listing as UTF-8 JSON, in the form <see cref="GetAsync"/>'s tables take in a response.</summary>
    public async Task<byte[]> GetJsonAsync(Lakehouse lake, string tenant, TenantPolicy policy, CancellationToken cancellationToken) =>
        (await ListingAsync(lake, tenant, policy, cancellationToken)).Json;

    private async Task<Listing> ListingAsync(Lakehouse lake, string tenant, TenantPolicy policy, CancellationToken cancellationToken)
    {
        var snapshot = await lake.LatestAsync(TimeSpan.FromMilliseconds(options.Value.Query.LatestSnapshotMilliseconds), cancellationToken);
        var key = $"{tenant}\u001f{policy.Key}";
        var known = _listed.GetValueOrDefault(key);
        if (known?.SnapshotId == snapshot.Id) return known;
        var changed = known is not null && known.SnapshotId < snapshot.Id
            ? await lake.TablesChangedAsync(known.SnapshotId, snapshot.Id, cancellationToken)
            : null;
        bool Allowed(LakeTable table) => policy.Allows(new Schema.TableName(table.SchemaName, table.Name));
        Dictionary<long, Listed> tables = changed is null ? [] : known!.Tables.Where(t => !changed.Contains(t.Key)).ToDictionary();
        if (changed is null || changed.Count > 0)
            foreach (var (id, table) in await TablesApi.DescribeByIdAsync(lake, tenant, Allowed, SnapshotSelector.ById(snapshot.Id), cancellationToken,
                         changed is null ? null : [.. changed]))
                tables[id] = new Listed(table, JsonSerializer.SerializeToUtf8Bytes(table, json.Value.SerializerOptions));
        var listing = new Listing(snapshot.Id, tables);
        if (_listed.Count >= MaxListings) _listed.Clear();
        // A slower request that read an older snapshot must not replace a newer listing.
        _listed.AddOrUpdate(key, listing, (_, current) => current.SnapshotId > listing.SnapshotId ? current : listing);
        return listing;
    }

    private static byte[] JsonArray(IEnumerable<byte[]> elements)
    {
        using var array = new MemoryStream();
        array.WriteByte((byte)'[');
        var first = true;
        foreach (var element in elements)
        {
            if (!first) array.WriteByte((byte)',');
            array.Write(element);
            first = false;
        }
        array.WriteByte((byte)']');
        return array.ToArray();
    }
}
