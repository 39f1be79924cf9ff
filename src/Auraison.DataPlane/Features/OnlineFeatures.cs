using System.Globalization;
using System.Text.Json;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Features;

/// <summary>An entity's latest feature values, as the online table holds them.</summary>
public sealed record OnlineValues(string Entity, JsonElement? Features, DateTimeOffset? EventAt);

/// <summary>
/// The online store: per view and entity, the latest feature values, in <c>dataplane_online_features</c> (a primary
/// key lookup per request). Materialising reads only the rows committed since the view's last run (by lake snapshot,
/// through <c>lineage.ingests</c>) and keeps, per entity, the values of the newest event.
/// </summary>
public sealed class OnlineFeatures(LakeAccessor lakes, FeatureSources sources, TimeProvider clock)
{
    private const int RowsPerStatement = 500;

    public sealed record Materialized(long Entities, long LakeSnapshotId);

    public async Task<OnlineValues> LookupAsync(string tenant, FeatureView view, string entity, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var found = (await connection.QueryAsync(null,
            "SELECT features, CAST(event_at AS VARCHAR) FROM dataplane_online_features WHERE tenant_id = $1 AND view_name = $2 AND entity = $3",
            r => (Features: r.GetString(0), EventAt: DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture)), cancellationToken,
            tenant, view.Name, entity)).SingleOrDefault();
        var expired = view.TtlSeconds is { } ttl && found.EventAt < clock.GetUtcNow().AddSeconds(-ttl);
        return found.Features is null || expired
            ? new OnlineValues(entity, null, null)
            : new OnlineValues(entity, JsonDocument.Parse(found.Features).RootElement.Clone(), found.EventAt);
    }

    /// <summary>Brings the view's online values up to the latest snapshot.</summary>
    public async Task<Materialized> MaterializeAsync(string tenant, FeatureView view, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var upTo = await connection.ScalarAsync<long?>(null,
            "SELECT lake_snapshot_up_to FROM dataplane_feature_materializations WHERE tenant_id = $1 AND view_name = $2", cancellationToken, tenant, view.Name) ?? 0;
        using var held = await sources.OpenAsync(tenant, view, cancellationToken, withLineage: true);
        var latest = await QueryRunner.RunTrustedAsync(held.Session, Sql(view), cancellationToken, upTo);
        foreach (var chunk in latest.Chunk(RowsPerStatement))
            await connection.ExecuteAsync(null,
                $"""
                 INSERT INTO dataplane_online_features VALUES {string.Join(", ", chunk.Select((_, i) =>
                     $"($1, $2, ${i * 3 + 3}, ${i * 3 + 4}, CAST(${i * 3 + 5} AS TIMESTAMP WITH TIME ZONE))"))}
                 ON CONFLICT (tenant_id, view_name, entity) DO UPDATE SET features = excluded.features, event_at = excluded.event_at
                 WHERE excluded.event_at >= dataplane_online_features.event_at
                 """,
                cancellationToken, [tenant, view.Name, .. chunk.SelectMany(r => new[] { r["entity"], r["features"], r["event_at"] })]);
        await connection.ExecuteAsync(null,
            """
            INSERT INTO dataplane_feature_materializations VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP WITH TIME ZONE))
            ON CONFLICT (tenant_id, view_name) DO UPDATE SET lake_snapshot_up_to = excluded.lake_snapshot_up_to, materialized_at = excluded.materialized_at
            """, cancellationToken, tenant, view.Name, held.Session.SnapshotId, CatalogReader.Timestamp(clock.GetUtcNow()));
        return new Materialized(latest.Count, held.Session.SnapshotId);
    }

    /// <summary>Per entity, the features of its newest event among the rows committed after snapshot $1.</summary>
    private static string Sql(FeatureView view) =>
        $"""
         SELECT CAST(s.{Identifier(view.Entity)} AS VARCHAR) AS entity,
                CAST(to_json(arg_max(struct_pack({string.Join(", ", view.Features.Select(f => $"{Identifier(f)} := s.{Identifier(f)}"))}), CAST(s.{Identifier(view.Timestamp)} AS TIMESTAMPTZ))) AS VARCHAR) AS features,
                CAST(max(CAST(s.{Identifier(view.Timestamp)} AS TIMESTAMPTZ)) AS VARCHAR) AS event_at
         FROM {Qualified(view.Source.Schema, view.Source.Name)} s JOIN lineage.ingests l ON l.partition_id = s.{Identifier(Lineage.PartitionId)}
         WHERE l.lake_snapshot_id > $1 AND s.{Identifier(view.Entity)} IS NOT NULL AND s.{Identifier(view.Timestamp)} IS NOT NULL
         GROUP BY 1
         """;
}
