using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Auraison.DataPlane.Query;

/// <summary>DuckDB values as JSON: exact where JSON can be (huge integers and NaN become strings), nested values as JSON.</summary>
public static class QueryValues
{
    public static object? ToJson(object? value, string duckDbType = "") => value switch
    {
        null or DBNull => null,
        string text when duckDbType.Equals("JSON", StringComparison.OrdinalIgnoreCase) => ParseOrText(text),
        string or bool or int or long or short or sbyte or byte or ushort or uint or decimal => value,
        ulong number => number <= long.MaxValue ? (long)number : number.ToString(CultureInfo.InvariantCulture),
        double number => double.IsFinite(number) ? number : number.ToString(CultureInfo.InvariantCulture),
        float number => float.IsFinite(number) ? number : number.ToString(CultureInfo.InvariantCulture),
        BigInteger number => number >= long.MinValue && number <= long.MaxValue ? (long)number : number.ToString(CultureInfo.InvariantCulture),
        DateTime time when duckDbType.StartsWith("TIMESTAMP WITH", StringComparison.OrdinalIgnoreCase)
                           || duckDbType.Equals("TIMESTAMPTZ", StringComparison.OrdinalIgnoreCase) =>
            time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) + "Z",
        DateTime time => time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        Guid guid => guid.ToString(),
        Stream stream => Convert.ToBase64String(ReadAll(stream)),
        byte[] bytes => Convert.ToBase64String(bytes),
        IDictionary map => map.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture)!, k => ToJson(map[k])),
        IEnumerable list => list.Cast<object?>().Select(item => ToJson(item)).ToList(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static object ParseOrText(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
