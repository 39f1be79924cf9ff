using System.Text.Json;

namespace Auraison.DataPlane.Cli;

/// <summary>Rows printed as an aligned table (for people and agents), CSV (for tools) or the service's JSON (for scripts).</summary>
public static class Output
{
    public static readonly string[] Formats = ["table", "csv", "json"];

    public static void Rows(TextWriter output, string format, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, JsonElement raw)
    {
        switch (format)
        {
            case "json":
                output.WriteLine(JsonSerializer.Serialize(raw));
                break;
            case "csv":
                foreach (var row in rows.Prepend(headers)) output.WriteLine(string.Join(",", row.Select(Csv)));
                break;
            default:
                Table(output, headers, rows.ToList());
                break;
        }
    }

    /// <summary>The named fields of each object, as columns under those names.</summary>
    public static void Fields(TextWriter output, string format, IReadOnlyList<string> fields, IEnumerable<JsonElement> items, JsonElement raw) =>
        Rows(output, format, fields, items.Select(item => (IReadOnlyList<string>)[.. fields.Select(f => Text(LakehouseCommand.Property(item, f)))]), raw);

    /// <summary>A query reply's columns and rows as text.</summary>
    public static void QueryReply(TextWriter output, string format, JsonElement reply)
    {
        var headers = reply.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
        var rows = reply.GetProperty("rows").EnumerateArray().Select(r => (IReadOnlyList<string>)r.EnumerateArray().Select(Text).ToList());
        Rows(output, format, headers, rows, reply);
    }

    public static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.String => value.GetString()!,
        _ => value.GetRawText(),
    };

    private static void Table(TextWriter output, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        const int MaxWidth = 60;
        string Cut(string text) => text.Length > MaxWidth ? text[..(MaxWidth - 1)] + "…" : text;
        var widths = headers.Select((h, i) => rows.Select(r => Cut(r[i]).Length).Append(h.Length).Max()).ToList();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => Cut(c).PadRight(widths[i]))).TrimEnd();
        output.WriteLine(Line(headers));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) output.WriteLine(Line(row));
        output.WriteLine(rows.Count == 1 ? "(1 row)" : $"({rows.Count} rows)");
    }

    private static string Csv(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
