using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// A geometry column's statistics as the stock extension keeps them in <c>extra_stats</c>: the bounding box of its
/// values and the kinds of shape among them, <c>{"bbox": {"xmin": …, "xmax": …, …}, "types": ["point", …]}</c>.
/// Min/max of WKB bytes say nothing about where the shapes are; the box does.
/// </summary>
public sealed record GeometryStats(double XMin, double XMax, double YMin, double YMax, IReadOnlyList<string> Types)
{
    /// <summary>From the per-column statistics of DuckDB's <c>COPY … RETURN_STATS</c>; null when it gave no box (no values).</summary>
    public static GeometryStats? FromCopyStats(IDictionary values)
    {
        double? Read(string key) => values.Contains(key) && values[key] is string text ? double.Parse(text, CultureInfo.InvariantCulture) : null;
        if (Read("bbox_xmin") is not { } xmin || Read("bbox_xmax") is not { } xmax || Read("bbox_ymin") is not { } ymin || Read("bbox_ymax") is not { } ymax)
            return null;
        var types = values.Contains("geo_types") && values["geo_types"] is string list
            ? list.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        return new GeometryStats(xmin, xmax, ymin, ymax, Normalize(types));
    }

    public static GeometryStats? Parse(string? json)
    {
        if (json is null) return null;
        var root = JsonNode.Parse(json);
        if (root?["bbox"] is not JsonObject box) return null;
        double? Read(string key) => box[key] is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;
        if (Read("xmin") is not { } xmin || Read("xmax") is not { } xmax || Read("ymin") is not { } ymin || Read("ymax") is not { } ymax) return null;
        var types = root["types"] is JsonArray array ? array.Select(t => t?.GetValue<string>() ?? "").Where(t => t.Length > 0) : [];
        return new GeometryStats(xmin, xmax, ymin, ymax, Normalize(types));
    }

    /// <summary>The box and shapes of both (a table's statistics widened by a new file's).</summary>
    public GeometryStats Union(GeometryStats? other) => other is null
        ? this
        : new GeometryStats(Math.Min(XMin, other.XMin), Math.Max(XMax, other.XMax), Math.Min(YMin, other.YMin), Math.Max(YMax, other.YMax),
            Normalize(Types.Concat(other.Types)));

    /// <summary>Whether the box meets the rectangle (edges included).</summary>
    public bool Intersects(double xmin, double ymin, double xmax, double ymax) => XMin <= xmax && xmin <= XMax && YMin <= ymax && ymin <= YMax;

    public string ToJson()
    {
        static string Number(double value) => value.ToString("F6", CultureInfo.InvariantCulture);
        return $"{{\"bbox\": {{\"xmin\": {Number(XMin)}, \"xmax\": {Number(XMax)}, \"ymin\": {Number(YMin)}, \"ymax\": {Number(YMax)}, " +
               $"\"zmin\": null, \"zmax\": null, \"mmin\": null, \"mmax\": null}}, \"types\": {JsonSerializer.Serialize(Types)}}}";
    }

    private static List<string> Normalize(IEnumerable<string> types) =>
        types.Select(t => t.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
