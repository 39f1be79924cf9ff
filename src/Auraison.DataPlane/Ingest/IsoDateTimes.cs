using System.Runtime.InteropServices;
using System.Text.Json;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// The ISO-8601 date-times the ingest rules accept (<c>YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]</c>, a real
/// calendar date and time), scanned from a JSON string's bytes: every string of every record is looked at, so this
/// runs without allocating or parsing twice.
/// </summary>
public static class IsoDateTimes
{
    public enum Form
    {
        /// <summary>Not a date-time by the rules.</summary>
        None,

        /// <summary>A date-time DuckDB's JSON reader does not parse as is (no seconds, a lowercase <c>z</c>).</summary>
        NeedsRewrite,

        /// <summary>A date-time DuckDB's JSON reader parses to the same instant.</summary>
        DuckDbReadable,
    }

    /// <summary>The form of a JSON string value (anything else is <see cref="Form.None"/>).</summary>
    public static Form Of(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String) return Form.None;
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        // Serialisers may escape a '+' (\u002B); only then is the string decoded first.
        return raw.Contains((byte)'\\') ? Of(System.Text.Encoding.UTF8.GetBytes(value.GetString()!)) : Of(raw);
    }

    public static Form Of(ReadOnlySpan<byte> s)
    {
        if (s.Length < 16 || !Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-'
            || !Digits(s, 8, 2, out var day) || s[10] is not ((byte)'T' or (byte)' ') || !Digits(s, 11, 2, out var hour) || s[13] != ':'
            || !Digits(s, 14, 2, out var minute))
            return Form.None;
        var at = 16;
        var hasSeconds = false;
        if (at < s.Length && s[at] == ':')
        {
            if (!Digits(s, at + 1, 2, out var second) || second > 59) return Form.None;
            hasSeconds = true;
            at += 3;
            if (at < s.Length && s[at] == '.')
            {
                var digits = 0;
                while (at + 1 + digits < s.Length && char.IsAsciiDigit((char)s[at + 1 + digits])) digits++;
                if (digits is 0 or > 9) return Form.None;
                at += 1 + digits;
            }
        }
        var lowercaseZ = false;
        if (at < s.Length)
        {
            switch (s[at])
            {
                case (byte)'Z':
                    at++;
                    break;
                case (byte)'z':
                    lowercaseZ = true;
                    at++;
                    break;
                case (byte)'+' or (byte)'-':
                    if (!Digits(s, at + 1, 2, out var offsetHours) || offsetHours > 14) return Form.None;
                    at += 3;
                    if (at < s.Length && s[at] == ':') at++;
                    if (at < s.Length)
                    {
                        if (!Digits(s, at, 2, out var offsetMinutes) || offsetMinutes > 59) return Form.None;
                        at += 2;
                    }
                    break;
                default:
                    return Form.None;
            }
        }
        if (at != s.Length || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59)
            return Form.None;
        // At the ends of the calendar an offset can move the instant out of range: the framework decides those.
        if (year is 1 or 9999 && !DateTimeOffset.TryParse(System.Text.Encoding.ASCII.GetString(s), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out _))
            return Form.None;
        return hasSeconds && !lowercaseZ ? Form.DuckDbReadable : Form.NeedsRewrite;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int at, int count, out int value)
    {
        value = 0;
        if (at + count > s.Length) return false;
        for (var i = at; i < at + count; i++)
        {
            if (!char.IsAsciiDigit((char)s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }
}
