using System.Globalization;
using System.Numerics;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// Orders statistics strings as values of their column type, for widening table-level min/max: numbers as numbers,
/// everything else (ISO dates and timestamps of one offset, strings, uuids, 0/1 booleans) in ordinal order.
/// </summary>
public static class StatsOrder
{
    public static string? Min(string typeName, string? a, string? b) => Pick(typeName, a, b, wantSmaller: true);

    public static string? Max(string typeName, string? a, string? b) => Pick(typeName, a, b, wantSmaller: false);

    private static string? Pick(string typeName, string? a, string? b, bool wantSmaller)
    {
        if (a is null) return b;
        if (b is null) return a;
        var comparison = Compare(typeName, a, b);
        return (comparison <= 0) == wantSmaller ? a : b;
    }

    public static int Compare(string typeName, string a, string b)
    {
        if (typeName.StartsWith("int", StringComparison.Ordinal) || typeName.StartsWith("uint", StringComparison.Ordinal))
        {
            if (BigInteger.TryParse(a, CultureInfo.InvariantCulture, out var x) && BigInteger.TryParse(b, CultureInfo.InvariantCulture, out var y))
                return x.CompareTo(y);
        }
        else if (typeName is "float32" or "float64")
        {
            return ParseFloat(a).CompareTo(ParseFloat(b));
        }
        else if (typeName.StartsWith("decimal", StringComparison.Ordinal))
        {
            if (decimal.TryParse(a, CultureInfo.InvariantCulture, out var x) && decimal.TryParse(b, CultureInfo.InvariantCulture, out var y))
                return x.CompareTo(y);
        }
        return string.CompareOrdinal(a, b);
    }

    private static double ParseFloat(string value) => value switch
    {
        "inf" or "infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        _ => double.Parse(value, CultureInfo.InvariantCulture),
    };
}
