using System.Globalization;
using System.Text.Json;

namespace Auraison.DataPlane.Mcp;

/// <summary>Rows as a compact pipe-separated table an LLM reads well; long values are cut.</summary>
internal static class TextTable
{
    private const int MaxCell = 200;

    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var lines = new List<string> { string.Join(" | ", headers) };
        lines.AddRange(rows.Select(row => string.Join(" | ", row.Select(Cell))));
        return lines.Count == 1 ? lines[0] + "\n(no rows)" : string.Join("\n", lines);
    }

    private static string Cell(object? value)
    {
        var text = value switch
        {
            null => "NULL",
            string s => s,
            DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => JsonSerializer.Serialize(value),
        };
        text = text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
        return text.Length > MaxCell ? text[..MaxCell] + "…" : text;
    }
}
