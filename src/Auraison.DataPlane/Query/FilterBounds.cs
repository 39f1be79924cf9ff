using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Query;

/// <summary>
/// A condition of a query's WHERE clause on one column (a struct field by its path): a range of values, or the
/// rectangle a geometry's box must meet.
/// </summary>
public sealed record ColumnCondition(IReadOnlyList<string> Path, RangeEnd? Lower = null, RangeEnd? Upper = null, (double XMin, double YMin, double XMax, double YMax)? Extent = null);

/// <summary>The conditions a query puts on the columns of the one table it reads.</summary>
public sealed record TableConditions(TableName Table, IReadOnlyList<ColumnCondition> Conditions);

/// <summary>
/// Reads, from the syntax tree DuckDB's parser gave, what a query's filter says about the columns of the single table
/// it reads: comparisons and BETWEEN with constants and <c>st_intersects_extent</c> with a constant geometry, joined
/// by AND. Anything else (joins, set operations, CTEs, OR) says nothing, and nothing is pruned.
/// </summary>
public static class FilterBounds
{
    public static TableConditions? Of(ParsedQuery query)
    {
        if (query.Tree is not { } tree || query.CteNames.Count > 0) return null;
        var statement = tree.GetProperty("statements")[0].GetProperty("node");
        if (Text(statement, "type") != "SELECT_NODE" || !statement.TryGetProperty("from_table", out var from) || Text(from, "type") != "BASE_TABLE"
            || !statement.TryGetProperty("where_clause", out var where) || where.ValueKind != JsonValueKind.Object)
            return null;
        var schema = Text(from, "schema_name") ?? "";
        var name = Text(from, "table_name") ?? "";
        var qualifiers = new HashSet<string>([name, Text(from, "alias") ?? name], StringComparer.OrdinalIgnoreCase);
        List<ColumnCondition> conditions = [];
        foreach (var conjunct in Conjuncts(where))
            if (Condition(conjunct, qualifiers) is { } condition) conditions.Add(condition);
        return conditions.Count == 0 ? null
            : new TableConditions(new TableName(schema.Length == 0 ? Identifiers.DefaultSchema : schema.ToLowerInvariant(), name.ToLowerInvariant()), conditions);
    }

    private static IEnumerable<JsonElement> Conjuncts(JsonElement node) =>
        Text(node, "type") == "CONJUNCTION_AND" ? node.GetProperty("children").EnumerateArray().SelectMany(Conjuncts) : [node];

    private static ColumnCondition? Condition(JsonElement node, HashSet<string> qualifiers)
    {
        switch (Text(node, "class"))
        {
            case "COMPARISON":
                var (left, right) = (node.GetProperty("left"), node.GetProperty("right"));
                var type = Text(node, "type");
                if (Column(right, qualifiers) is not null && Constant(left) is not null)
                {
                    (left, right) = (right, left);
                    type = Mirrored(type);
                }
                if (Column(left, qualifiers) is not { } path || Constant(right) is not { } value) return null;
                return type switch
                {
                    "COMPARE_EQUAL" => new ColumnCondition(path, value with { Inclusive = true }, value with { Inclusive = true }),
                    "COMPARE_GREATERTHAN" => new ColumnCondition(path, Lower: value with { Inclusive = false }),
                    "COMPARE_GREATERTHANOREQUALTO" => new ColumnCondition(path, Lower: value with { Inclusive = true }),
                    "COMPARE_LESSTHAN" => new ColumnCondition(path, Upper: value with { Inclusive = false }),
                    "COMPARE_LESSTHANOREQUALTO" => new ColumnCondition(path, Upper: value with { Inclusive = true }),
                    _ => null,
                };
            case "BETWEEN":
                return Column(node.GetProperty("input"), qualifiers) is { } between && Constant(node.GetProperty("lower")) is { } low
                                                                                      && Constant(node.GetProperty("upper")) is { } high
                    ? new ColumnCondition(between, low with { Inclusive = true }, high with { Inclusive = true })
                    : null;
            case "FUNCTION" when string.Equals(Text(node, "function_name"), "st_intersects_extent", StringComparison.OrdinalIgnoreCase):
                var arguments = node.GetProperty("children").EnumerateArray().ToList();
                if (arguments.Count != 2) return null;
                var (geometry, shape) = Column(arguments[0], qualifiers) is not null ? (arguments[0], arguments[1]) : (arguments[1], arguments[0]);
                return Column(geometry, qualifiers) is { } column && Constant(shape) is { Kind: not ConstantKind.Number } wkt && Extent(wkt.Value) is { } box
                    ? new ColumnCondition(column, Extent: box)
                    : null;
            default:
                return null;
        }
    }

    private static string? Mirrored(string? comparison) => comparison switch
    {
        "COMPARE_GREATERTHAN" => "COMPARE_LESSTHAN",
        "COMPARE_GREATERTHANOREQUALTO" => "COMPARE_LESSTHANOREQUALTO",
        "COMPARE_LESSTHAN" => "COMPARE_GREATERTHAN",
        "COMPARE_LESSTHANOREQUALTO" => "COMPARE_GREATERTHANOREQUALTO",
        _ => comparison,
    };

    /// <summary>A column reference's path without the table's name or alias in front.</summary>
    private static List<string>? Column(JsonElement node, HashSet<string> qualifiers)
    {
        if (Text(node, "class") != "COLUMN_REF") return null;
        var names = node.GetProperty("column_names").EnumerateArray().Select(n => n.GetString() ?? "").ToList();
        return names.Count > 1 && qualifiers.Contains(names[0]) ? names[1..] : names;
    }

    /// <summary>A constant as text: a number, a string, or a string cast to a type (<c>TIMESTAMPTZ '2026-01-01'</c>).</summary>
    private static RangeEnd? Constant(JsonElement node)
    {
        switch (Text(node, "class"))
        {
            case "CONSTANT":
                var value = node.GetProperty("value");
                if (value.GetProperty("is_null").GetBoolean() || !value.TryGetProperty("value", out var raw)) return null;
                var type = value.GetProperty("type");
                return raw.ValueKind switch
                {
                    JsonValueKind.String => new RangeEnd(raw.GetString()!, Text(type, "id") == "VARCHAR" ? ConstantKind.Text : ConstantKind.Typed, Inclusive: true),
                    JsonValueKind.Number => new RangeEnd(Scaled(raw.GetRawText(), type), ConstantKind.Number, Inclusive: true),
                    _ => null,
                };
            case "CAST":
                return Constant(node.GetProperty("child")) is { Kind: not ConstantKind.Number } cast ? cast with { Kind = ConstantKind.Typed } : null;
            case "FUNCTION" when Text(node, "function_name") == "-" && node.GetProperty("children").GetArrayLength() == 1:
                return Constant(node.GetProperty("children")[0]) is { Kind: ConstantKind.Number } positive
                    ? positive with { Value = positive.Value.StartsWith('-') ? positive.Value[1..] : "-" + positive.Value }
                    : null;
            default:
                return null;
        }
    }

    // A DECIMAL constant is its unscaled integer and the scale: 2.5 is 25 with scale 1.
    private static string Scaled(string number, JsonElement type)
    {
        if (Text(type, "id") != "DECIMAL" || !type.TryGetProperty("type_info", out var info) || !BigInteger.TryParse(number, CultureInfo.InvariantCulture, out var unscaled))
            return number;
        var scale = info.GetProperty("scale").GetInt32();
        var digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        return (unscaled.Sign < 0 ? "-" : "") + (scale == 0 ? digits : digits[..^scale] + "." + digits[^scale..]);
    }

    /// <summary>The bounding box of a WKT geometry's coordinates (the first two numbers of each), or null for none.</summary>
    public static (double XMin, double YMin, double XMax, double YMax)? Extent(string wkt)
    {
        var points = wkt.Split(['(', ')', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(numbers => numbers.Length >= 2 && numbers.Take(2).All(n => double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            .Select(numbers => (X: double.Parse(numbers[0], CultureInfo.InvariantCulture), Y: double.Parse(numbers[1], CultureInfo.InvariantCulture)))
            .ToList();
        return points.Count == 0 ? null : (points.Min(p => p.X), points.Min(p => p.Y), points.Max(p => p.X), points.Max(p => p.Y));
    }

    private static string? Text(JsonElement node, string property) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
