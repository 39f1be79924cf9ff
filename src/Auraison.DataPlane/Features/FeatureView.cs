using System.Text.Json;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Features;

/// <summary>
/// A feature view (the Feast model on the lake): which columns of a source table are features of which entity, as of
/// which event timestamp, and how long a value stays valid (<c>ttl_seconds</c>; null: for ever).
/// </summary>
public sealed record FeatureView(string Name, TableName Source, string Entity, string Timestamp, IReadOnlyList<string> Features, long? TtlSeconds)
{
    public IEnumerable<string> Columns => [Entity, Timestamp, .. Features];
}

/// <summary>Feature views per tenant, in <c>dataplane_feature_views</c>.</summary>
public sealed class FeatureViews(LakeAccessor lakes, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Stored(string Source, string Entity, string Timestamp, List<string> Features, long? TtlSeconds);

    public async Task<bool> SaveAsync(string tenant, FeatureView view, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var definition = JsonSerializer.Serialize(new Stored(view.Source.ToString(), view.Entity, view.Timestamp, [.. view.Features], view.TtlSeconds), Json);
        var existed = await connection.ScalarAsync<long>(null, "SELECT count(*) FROM dataplane_feature_views WHERE tenant_id = $1 AND view_name = $2",
            cancellationToken, tenant, view.Name) > 0;
        await connection.ExecuteAsync(null,
            """
            INSERT INTO dataplane_feature_views VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP WITH TIME ZONE))
            ON CONFLICT (tenant_id, view_name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
            """, cancellationToken, tenant, view.Name, definition, CatalogReader.Timestamp(clock.GetUtcNow()));
        return !existed;
    }

    public async Task<FeatureView?> FindAsync(string tenant, string name, CancellationToken cancellationToken) =>
        (await ReadAsync("WHERE tenant_id = $1 AND view_name = $2", cancellationToken, tenant, name)).Select(v => v.View).SingleOrDefault();

    /// <summary>Every tenant's views (the materialiser's work list).</summary>
    public Task<List<(string Tenant, FeatureView View)>> AllAsync(CancellationToken cancellationToken) => ReadAsync("", cancellationToken);

    private async Task<List<(string Tenant, FeatureView View)>> ReadAsync(string where, CancellationToken cancellationToken, params object?[] args)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null, $"SELECT tenant_id, view_name, definition FROM dataplane_feature_views {where} ORDER BY tenant_id, view_name",
            r => (r.GetString(0), ViewOf(r.GetString(1), JsonSerializer.Deserialize<Stored>(r.GetString(2), Json)!)), cancellationToken, args);
    }

    private static FeatureView ViewOf(string name, Stored stored)
    {
        Identifiers.TryParseTable(stored.Source, out var source, out _, allowReservedSchema: true);
        return new FeatureView(name, source, stored.Entity, stored.Timestamp, stored.Features, stored.TtlSeconds);
    }
}
