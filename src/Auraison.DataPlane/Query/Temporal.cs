using System.Globalization;
using System.Text;
using Apache.Arrow.Scalars;

namespace Auraison.DataPlane.Query;

/// <summary>
/// DuckDB's dates, times and intervals as text, from the numbers its results hold: ISO 8601 for instants (every
/// year DuckDB knows, "(BC)" before year 1, as DuckDB writes them; its infinities as <c>infinity</c>), and intervals
/// as DuckDB writes them (<c>1 year 2 months 3 days 04:05:06.5</c>), which SQL reads back.
/// </summary>
public static class Temporal
{
    private const long DaysToEpoch = 719_468; // days from 0000-03-01 to 1970-01-01

    public static string Date(int days) => days switch
    {
        int.MaxValue => "infinity",
        -int.MaxValue => "-infinity",
        _ => CivilDate(days),
    };

    /// <summary>A time of day counted in units of 10^-<paramref name="digits"/> s; a fraction only as long as it needs.</summary>
    public static string TimeOfDay(long units, int digits)
    {
        var perSecond = (long)Math.Pow(10, digits);
        var (seconds, fraction) = Math.DivRem(units, perSecond);
        var text = string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}");
        return fraction == 0 ? text : text + "." + fraction.ToString(new string('0', digits), CultureInfo.InvariantCulture).TrimEnd('0');
    }

    /// <summary>An instant counted in units of 10^-<paramref name="digits"/> s since 1970-01-01 00:00.</summary>
    public static string Timestamp(long units, int digits)
    {
        if (units == long.MaxValue) return "infinity";
        if (units == -long.MaxValue) return "-infinity";
        var perDay = 86_400 * (long)Math.Pow(10, digits);
        var days = Math.DivRem(units, perDay, out var within);
        if (within < 0) (days, within) = (days - 1, within + perDay);
        var date = CivilDate(days);
        var bc = date.EndsWith(" (BC)", StringComparison.Ordinal);
        var time = TimeOfDay(within, digits);
        return bc ? $"{date[..^5]}T{time} (BC)" : $"{date}T{time}";
    }

    public static string Interval(MonthDayNanosecondInterval interval)
    {
        List<string> parts = [];
        var years = interval.Months / 12;
        if (years != 0) parts.Add(Count(years, "year"));
        if (interval.Months % 12 != 0) parts.Add(Count(interval.Months % 12, "month"));
        if (interval.Days != 0) parts.Add(Count(interval.Days, "day"));
        var micros = interval.Nanoseconds / 1000;
        if (micros != 0 || parts.Count == 0) parts.Add((micros < 0 ? "-" : "") + TimeOfDay(Math.Abs(micros), 6));
        return string.Join(' ', parts);
    }

    private static string Count(long count, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{(Math.Abs(count) == 1 ? "" : "s")}");

    // Days since 1970-01-01 as a proleptic Gregorian date (H. Hinnant's civil_from_days).
    private static string CivilDate(long days)
    {
        var z = days + DaysToEpoch;
        var era = (z >= 0 ? z : z - 146_096) / 146_097;
        var dayOfEra = z - era * 146_097;
        var yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        var dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        var shiftedMonth = (5 * dayOfYear + 2) / 153;
        var day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
        var month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
        var year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{(year > 0 ? year : 1 - year):0000}-{month:00}-{day:00}");
        if (year <= 0) text.Append(" (BC)");
        return text.ToString();
    }
}
