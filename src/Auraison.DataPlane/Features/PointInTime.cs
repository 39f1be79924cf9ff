using System.Globalization;
using System.Text.Json;
using Auraison.DataPlane.Query;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Features;

/// <summary>
/// Historical feature retrieval: each requested (entity, timestamp) row gets the view's features as they were known
/// at that timestamp, the source's latest row for the entity at or before it (DuckDB's ASOF JOIN), never a later one,
/// and none older than the view's TTL.
/// </summary>
public sealed class PointInTime(FeatureSources sources)
{
    public const string EventAtColumn = "feature_event_at";

    /// <summary>The request rows, each with the features and the event time of the source row they came from (nulls when none).</summary>
    public async Task<List<Dictionary<string, object?>>> JoinAsync(string tenant, FeatureView view, IReadOnlyList<JsonElement> rows,
        CancellationToken cancellationToken)
    {
        using var held = await sources.OpenAsync(tenant, view, cancellationToken);
        var joined = (await QueryRunner.RunTrustedAsync(held.Session, Sql(view), cancellationToken, JsonSerializer.Serialize(rows)))
            .ToDictionary(r => Convert.ToInt64(r["_dp_row"], CultureInfo.InvariantCulture));
        return rows.Select((row, i) =>
        {
            var result = row.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
            foreach (var column in view.Features.Append(EventAtColumn)) result[column] = joined[i].GetValueOrDefault(column);
            return result;
        }).ToList();
    }

    private static string Sql(FeatureView view)
    {
        var ttl = view.TtlSeconds is { } seconds ? $" AND s._dp_event_at >= k._dp_at - INTERVAL {seconds.ToString(CultureInfo.InvariantCulture)} SECOND" : "";
        string Valid(string value) => $"CASE WHEN s._dp_event_at IS NOT NULL{ttl} THEN {value} END";
        return $"""
            WITH request AS (SELECT from_json($1, '["json"]') AS rows),
            keyed AS (
              SELECT i - 1 AS _dp_row, json_extract_string(r.rows[i], {Literal("$." + view.Entity)}) AS _dp_entity,
                     CAST(json_extract_string(r.rows[i], {Literal("$." + view.Timestamp)}) AS TIMESTAMPTZ) AS _dp_at
              FROM request r, range(1, len(r.rows) + 1) AS t(i)),
            source AS (
              SELECT CAST({Identifier(view.Entity)} AS VARCHAR) AS _dp_entity, CAST({Identifier(view.Timestamp)} AS TIMESTAMPTZ) AS _dp_event_at,
                     {string.Join(", ", view.Features.Select(Identifier))}
              FROM {Qualified(view.Source.Schema, view.Source.Name)} WHERE {Identifier(view.Entity)} IS NOT NULL AND {Identifier(view.Timestamp)} IS NOT NULL)
            SELECT k._dp_row, {string.Join(", ", view.Features.Select(f => $"{Valid("s." + Identifier(f))} AS {Identifier(f)}"))},
                   {Valid("s._dp_event_at")} AS {EventAtColumn}
            FROM keyed k ASOF LEFT JOIN source s ON k._dp_entity = s._dp_entity AND k._dp_at >= s._dp_event_at
            """;
    }
}

/// <summary>A feature view that cannot be served as declared (its table or columns are gone): a 422.</summary>
public sealed class FeatureViewException(string message) : Exception(message);
