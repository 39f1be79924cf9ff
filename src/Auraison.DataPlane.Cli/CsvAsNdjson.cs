using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Cli;

/// <summary>
/// A CSV file (RFC 4180: a header row, quoted fields with doubled quotes, commas and line breaks inside quotes) read
/// as NDJSON records, one at a time. Values that read as integers, decimals or true/false become JSON numbers and
/// booleans, empty fields null, the rest strings, so the service infers column types as it does for JSON.
/// </summary>
internal sealed class CsvAsNdjson(TextReader csv) : ReadOnlyStream
{
    private IReadOnlyList<string>? _header;
    private byte[] _pending = [];
    private int _offset;

    public override int Read(byte[] buffer, int offset, int count)
    {
        while (_offset == _pending.Length)
        {
            if (NextRecord() is not { } record) return 0;
            _header ??= record;
            if (ReferenceEquals(_header, record)) continue;
            (_pending, _offset) = (Encoding.UTF8.GetBytes(Json(_header, record) + "\n"), 0);
        }
        var copied = Math.Min(count, _pending.Length - _offset);
        Array.Copy(_pending, _offset, buffer, offset, copied);
        _offset += copied;
        return copied;
    }

    private static string Json(IReadOnlyList<string> header, IReadOnlyList<string> record)
    {
        if (record.Count != header.Count)
            throw new CliFailure(ExitCodes.Usage, $"A CSV row has {record.Count} fields where the header has {header.Count}.");
        var fields = new Dictionary<string, object?>(header.Count, StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++) fields[header[i]] = Value(record[i]);
        return JsonSerializer.Serialize(fields);
    }

    private static object? Value(string field) =>
        field.Length == 0 ? null
        : long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? integer
        : double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number
        : field is "true" or "false" ? field == "true"
        : field;

    /// <summary>The next record's fields, or null at the end of the file.</summary>
    private List<string>? NextRecord()
    {
        if (csv.Peek() < 0) return null;
        List<string> fields = [];
        var field = new StringBuilder();
        var quoted = false;
        while (true)
        {
            var c = csv.Read();
            if (quoted)
            {
                if (c < 0) throw new CliFailure(ExitCodes.Usage, "A quoted CSV field is not closed.");
                if (c != '"') field.Append((char)c);
                else if (csv.Peek() == '"') field.Append((char)csv.Read());
                else quoted = false;
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r' when csv.Peek() == '\n':
                    break;
                case '\n' or '\r' or -1:
                    fields.Add(field.ToString());
                    return fields;
                default:
                    field.Append((char)c);
                    break;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) csv.Dispose();
        base.Dispose(disposing);
    }
}
