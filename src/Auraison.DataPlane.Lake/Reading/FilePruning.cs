using System.Globalization;
using System.Numerics;
using System.Text;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// What a query's filter says about one leaf column, so that files whose statistics rule every row out need not be
/// read. A bound only ever keeps files when their statistics cannot tell: pruning changes what is read, never the
/// rows a query returns (its filter still runs on what is read).
/// </summary>
public abstract record ColumnBound(long ColumnId)
{
    /// <summary>Whether a file with these statistics of the column may hold a row the filter matches.</summary>
    public abstract bool MayMatch(LakeType type, FileColumnStats stats);
}

/// <summary>
/// One end of a range: a constant of the query as text, and what it is in the query: a number, a string (which
/// DuckDB casts to the column's type), or a value of some other type (a cast, which may make DuckDB compare a text
/// column as that type).
/// </summary>
public sealed record RangeEnd(string Value, ConstantKind Kind, bool Inclusive);

public enum ConstantKind
{
    Number,
    Text,
    Typed,
}

/// <summary>Values between <paramref name="Lower"/> and <paramref name="Upper"/> (an open end when null).</summary>
public sealed record ValueRange(long ColumnId, RangeEnd? Lower, RangeEnd? Upper) : ColumnBound(ColumnId)
{
    public override bool MayMatch(LakeType type, FileColumnStats stats)
    {
        // NaN sorts above every number in DuckDB, and min/max leave it out.
        if (stats.ContainsNan == true) return true;
        if (Lower is { } lower && stats.Max is { } max && StatsValues.Compare(type, max, lower) is { } aboveLower
            && (aboveLower < 0 || (aboveLower == 0 && !lower.Inclusive)))
            return false;
        if (Upper is { } upper && stats.Min is { } min && StatsValues.Compare(type, min, upper) is { } belowUpper
            && (belowUpper > 0 || (belowUpper == 0 && !upper.Inclusive)))
            return false;
        return true;
    }
}

/// <summary>Geometries whose bounding box meets the rectangle (<c>st_intersects_extent</c>).</summary>
public sealed record ExtentOverlap(long ColumnId, double XMin, double YMin, double XMax, double YMax) : ColumnBound(ColumnId)
{
    public override bool MayMatch(LakeType type, FileColumnStats stats) =>
        GeometryStats.Parse(stats.ExtraStats) is not { } box || box.Intersects(XMin, YMin, XMax, YMax);
}

/// <summary>Statistics strings compared with a query's constants as values of the column's type; null when that cannot be told.</summary>
public static class StatsValues
{
    public static int? Compare(LakeType type, string statistic, RangeEnd constant)
    {
        var name = type.Name;
        if (name.StartsWith("int", StringComparison.Ordinal) || name.StartsWith("uint", StringComparison.Ordinal) || name.StartsWith("decimal", StringComparison.Ordinal))
            return Number(statistic) is { } a && Number(constant.Value) is { } b ? a.CompareTo(b) : null;
        if (name is "float32" or "float64")
            return Float(statistic) is { } a && Float(constant.Value) is { } b ? a.CompareTo(b) : null;
        if (constant.Kind == ConstantKind.Number) return null;
        if (type.IsTemporal)
            return Time(statistic) is { } a && Time(constant.Value) is { } b ? a.CompareTo(b) : null;
        if (name == "varchar" && constant.Kind == ConstantKind.Text)
            return Encoding.UTF8.GetBytes(statistic).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(constant.Value));
        return null;
    }

    private static BigRational? Number(string text) => BigRational.TryParse(text);

    private static double? Float(string text) => text.ToLowerInvariant() switch
    {
        "inf" or "infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && !double.IsNaN(value) ? value : null,
    };

    // DuckDB writes "2026-11-27 10:00:00+00"; queries say "2026-11-27", "2026-11-27T10:00:00Z" or with an offset.
    // Values without an offset are UTC, as in the query session.
    private static DateTimeOffset? Time(string text)
    {
        var hourOffset = text.Length > "yyyy-MM-dd".Length && text[^3] is '+' or '-' && char.IsAsciiDigit(text[^1]) && char.IsAsciiDigit(text[^2]);
        var normalized = hourOffset ? text + ":00" : text;
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
    }

    /// <summary>An exact decimal of any size (statistics of HUGEINT and DECIMAL(38) columns do not fit a .NET decimal).</summary>
    private readonly record struct BigRational(BigInteger Numerator, int Scale) : IComparable<BigRational>
    {
        public static BigRational? TryParse(string text)
        {
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            var digits = dot < 0 ? text : text.Remove(dot, 1);
            var scale = dot < 0 ? 0 : text.Length - dot - 1;
            return BigInteger.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? new BigRational(value, scale) : null;
        }

        public int CompareTo(BigRational other)
        {
            var scale = Math.Max(Scale, other.Scale);
            return (Numerator * BigInteger.Pow(10, scale - Scale)).CompareTo(other.Numerator * BigInteger.Pow(10, scale - other.Scale));
        }
    }
}
