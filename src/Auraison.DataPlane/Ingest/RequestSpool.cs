using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// A request's records exactly as they arrived, one per line (NDJSON), each object led by its position in the
/// request (<c>"#": n</c>). The body is read once, as a stream, with bounded memory: small spools stay in memory,
/// larger ones go to a local file (creating a file per small request costs more than the request). DuckDB then
/// reads the file straight into the table's column types, so records are never re-serialised on their way to Parquet.
/// </summary>
public sealed class RequestSpool : ISpooledRows
{
    /// <summary>The field that carries a record's position; never a valid field name of a record.</summary>
    public const string IndexField = "#";

    /// <summary>The field that, in a spool of several requests' records, carries the request's place among them.</summary>
    public const string RequestField = "@";

    /// <summary>Spools larger than this go to disk as they are written.</summary>
    private const int InMemoryBytes = 1 << 20;

    private static readonly byte[] IndexPrefix = Encoding.UTF8.GetBytes("{\"" + IndexField + "\":");

    private readonly string _directory;
    private Stream _data = new MemoryStream();
    private string? _path;

    private RequestSpool(string directory) => _directory = directory;

    /// <summary>The spool as a file DuckDB can read (written out now if it was kept in memory).</summary>
    public string Path
    {
        get
        {
            if (_path is null) Spill();
            return _path!;
        }
    }

    /// <summary>Records in the spool (objects or not: what is not an object is refused by the planner, not here).</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of the spooled records.</summary>
    public long Bytes => _data.Length;

    /// <summary>The envelope fields a JSON body carried (NDJSON bodies take them from the query string).</summary>
    public IngestEnvelope Envelope { get; private set; } = new();

    /// <summary>Reads a JSON body <c>{"table", "tenant_id", "job_id", "schema_version", "records": [...]}</c>, members in any order.</summary>
    public static Task<RequestSpool> ReadJsonAsync(Stream body, string directory, int maxRecords, CancellationToken cancellationToken) =>
        ReadAsync(body, directory, new EnvelopeParser(maxRecords), cancellationToken);

    /// <summary>Reads an NDJSON body: one record per line, blank lines ignored.</summary>
    public static Task<RequestSpool> ReadNdjsonAsync(Stream body, string directory, int maxRecords, CancellationToken cancellationToken) =>
        ReadAsync(body, directory, new LineParser(maxRecords), cancellationToken);

    /// <summary>A spool of records the service produces itself (world-model snapshots, quarantined records).</summary>
    public static RequestSpool Of(IEnumerable<(int Index, Action<Utf8JsonWriter> Write)> records, string directory)
    {
        var spool = new RequestSpool(directory);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (index, write) in records)
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer)) write(writer);
            spool.Add(buffer.WrittenSpan, isObject: buffer.WrittenSpan[0] == (byte)'{', index);
        }
        spool.Seal();
        return spool;
    }

    /// <summary>Each record with its index, parsed from the spool; the element lives until the callback returns.</summary>
    public void ForEach(Action<int, JsonElement> visit)
    {
        _data.Position = 0;
        var index = 0;
        foreach (var line in Lines(_data))
        {
            using var document = JsonDocument.Parse(line);
            visit(index++, document.RootElement);
        }
    }

    /// <summary>
    /// A new spool of the records at <paramref name="keep"/>; those in <paramref name="rewrite"/> are written anew
    /// with <paramref name="write"/> (their fields only: the position is kept), the others copied as they are.
    /// </summary>
    public RequestSpool Select(IReadOnlySet<int> keep, IReadOnlySet<int> rewrite, Action<Utf8JsonWriter, JsonElement> write, string directory)
    {
        var selected = new RequestSpool(directory);
        _data.Position = 0;
        var index = 0;
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var line in Lines(_data))
        {
            var current = index++;
            if (!keep.Contains(current)) continue;
            if (!rewrite.Contains(current))
            {
                selected.Write(line.Span);
                selected.Write("\n"u8);
                selected.Count++;
                continue;
            }
            using var document = JsonDocument.Parse(line);
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                write(writer, document.RootElement);
                writer.WriteEndObject();
            }
            selected.Add(buffer.WrittenSpan, isObject: true, current);
        }
        selected.Seal();
        return selected;
    }

    /// <summary>The record as the caller sent it (compact), without the position this spool added.</summary>
    public static string Original(JsonElement spooled)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (spooled.ValueKind != JsonValueKind.Object)
            {
                spooled.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                var first = true;
                foreach (var property in spooled.EnumerateObject())
                {
                    if (!(first && property.Name == IndexField)) property.WriteTo(writer);
                    first = false;
                }
                writer.WriteEndObject();
            }
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// One spool of several requests' records, each line also carrying its request's place (<see cref="RequestField"/>),
    /// so DuckDB reads a commit's small requests from one file instead of one file each.
    /// </summary>
    public static RequestSpool Combine(IReadOnlyList<RequestSpool> spools, string directory)
    {
        var combined = new RequestSpool(directory);
        combined.Spill();
        Span<byte> digits = stackalloc byte[11];
        for (var request = 0; request < spools.Count; request++)
        {
            System.Buffers.Text.Utf8Formatter.TryFormat(request, digits, out var written);
            spools[request]._data.Position = 0;
            foreach (var line in Lines(spools[request]._data))
            {
                // Every line of a checked spool is an object led by its position.
                combined.Write("{\""u8);
                combined.Write(Encoding.UTF8.GetBytes(RequestField));
                combined.Write("\":"u8);
                combined.Write(digits[..written]);
                combined.Write(","u8);
                combined.Write(line.Span[1..]);
                combined.Write("\n"u8);
                combined.Count++;
            }
        }
        combined.Seal();
        return combined;
    }

    public void Dispose()
    {
        _data.Dispose();
        if (_path is not null) File.Delete(_path);
    }

    private static async Task<RequestSpool> ReadAsync(Stream body, string directory, BodyParser parser, CancellationToken cancellationToken)
    {
        var spool = new RequestSpool(directory);
        try
        {
            parser.Spool = spool;
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
            try
            {
                int start = 0, end = 0;
                var final = false;
                while (!parser.Done)
                {
                    if (start > 0)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    if (end == buffer.Length)
                    {
                        // One record larger than the buffer: grow it (the body's own limit bounds this).
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        Buffer.BlockCopy(buffer, 0, larger, 0, end);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    var read = await body.ReadAsync(buffer.AsMemory(end), cancellationToken);
                    if (read == 0) final = true;
                    end += read;
                    start += parser.Parse(buffer.AsSpan(start, end - start), final);
                    if (final && !parser.Done) throw new JsonException("The body ended before its JSON did.");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            spool.Envelope = parser.Envelope;
            spool.Seal();
            return spool;
        }
        catch
        {
            spool.Dispose();
            throw;
        }
    }

    private void Seal() => _data.Flush();

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _data.Write(bytes);
        if (_path is null && _data.Length > InMemoryBytes) Spill();
    }

    /// <summary>Moves the spool to a file (from then on it is written there).</summary>
    private void Spill()
    {
        _path = System.IO.Path.Combine(_directory, $"spool-{Guid.NewGuid():N}.ndjson");
        var file = new FileStream(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        _data.Position = 0;
        _data.CopyTo(file);
        file.Flush();
        _data.Dispose();
        _data = file;
    }

    /// <summary>
    /// Appends one record; an object gets its position (by default its place in this spool) as the first field, and
    /// line breaks (JSON whitespace) become spaces.
    /// </summary>
    private void Add(ReadOnlySpan<byte> raw, bool isObject, int? index = null)
    {
        if (isObject)
        {
            Write(IndexPrefix);
            Span<byte> digits = stackalloc byte[11];
            System.Buffers.Text.Utf8Formatter.TryFormat(index ?? Count, digits, out var written);
            Write(digits[..written]);
            var rest = raw[1..];
            Write(rest.TrimStart(" \t\r\n"u8).StartsWith("}"u8) ? " "u8 : ","u8);
            WriteOneLine(rest);
        }
        else
        {
            WriteOneLine(raw);
        }
        Write("\n"u8);
        Count++;
    }

    private void WriteOneLine(ReadOnlySpan<byte> json)
    {
        // Outside strings a line break is whitespace, and inside them JSON allows only escaped ones.
        while (json.IndexOfAny((byte)'\n', (byte)'\r') is var at and >= 0)
        {
            Write(json[..at]);
            Write(" "u8);
            json = json[(at + 1)..];
        }
        Write(json);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Lines(Stream file)
    {
        var buffer = new byte[1 << 16];
        int start = 0, end = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                yield return buffer.AsMemory(start, newline - start);
                start = newline + 1;
                continue;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            var read = file.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > 0) yield return buffer.AsMemory(0, end);
                yield break;
            }
            end += read;
        }
    }

    /// <summary>Turns body bytes into spooled records; returns how many bytes it consumed (the rest waits for more).</summary>
    private abstract class BodyParser(int maxRecords)
    {
        public RequestSpool Spool { get; set; } = null!;

        public IngestEnvelope Envelope { get; protected set; } = new();

        public bool Done { get; protected set; }

        public abstract int Parse(ReadOnlySpan<byte> data, bool final);

        protected void Add(ReadOnlySpan<byte> raw, bool isObject)
        {
            if (Spool.Count >= maxRecords)
                throw new BadHttpRequestException($"The request has more than {maxRecords} records; split it into several requests.",
                    StatusCodes.Status413PayloadTooLarge);
            Spool.Add(raw, isObject);
        }
    }

    /// <summary>The JSON envelope, read token by token; a member cut off at the buffer's end is read again with more data.</summary>
    private sealed class EnvelopeParser(int maxRecords) : BodyParser(maxRecords)
    {
        private enum Stage { Start, Members, Records }

        private Stage _stage;
        private JsonReaderState _state;
        private bool _sawRecords;

        public override int Parse(ReadOnlySpan<byte> data, bool final)
        {
            var reader = new Utf8JsonReader(data, final, _state);
            var consumed = 0;
            while (!Done && Step(ref reader, data))
            {
                consumed = (int)reader.BytesConsumed;
                _state = reader.CurrentState;
            }
            return consumed;
        }

        /// <summary>One member or record; false when the data ends inside it.</summary>
        private bool Step(ref Utf8JsonReader reader, ReadOnlySpan<byte> data)
        {
            if (!reader.Read()) return false;
            switch (_stage)
            {
                case Stage.Start:
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw new JsonException("The body must be a JSON object with table, tenant_id, job_id, schema_version and records.");
                    _stage = Stage.Members;
                    return true;
                case Stage.Members when reader.TokenType == JsonTokenType.EndObject:
                    if (!_sawRecords) Envelope = Envelope with { Records = false };
                    Done = true;
                    return true;
                case Stage.Members:
                    return Member(ref reader);
                default:
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _stage = Stage.Members;
                        return true;
                    }
                    var begin = (int)reader.TokenStartIndex;
                    var isObject = reader.TokenType == JsonTokenType.StartObject;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return false;
                    Add(data[begin..(int)reader.BytesConsumed], isObject);
                    return true;
            }
        }

        private bool Member(ref Utf8JsonReader reader)
        {
            var name = reader.GetString();
            if (!reader.Read()) return false;
            switch (name)
            {
                case "records":
                    if (_sawRecords) throw new JsonException("records is given twice.");
                    _sawRecords = true;
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        _stage = Stage.Records;
                        return true;
                    }
                    if (reader.TokenType != JsonTokenType.Null) throw new JsonException("records must be an array of JSON objects.");
                    Envelope = Envelope with { Records = false };
                    return true;
                case "table" or "tenant_id" or "job_id" or "schema_version":
                    var text = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number when name == "schema_version" => Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => null,
                    };
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return false;
                    Envelope = name switch
                    {
                        "table" => Envelope with { Table = text },
                        "tenant_id" => Envelope with { TenantId = text },
                        "job_id" => Envelope with { JobId = text },
                        _ => Envelope with { SchemaVersion = text },
                    };
                    return true;
                default:
                    return reader.TrySkip();
            }
        }
    }

    /// <summary>NDJSON: each non-blank line is one JSON value.</summary>
    private sealed class LineParser(int maxRecords) : BodyParser(maxRecords)
    {
        private int _line;

        public override int Parse(ReadOnlySpan<byte> data, bool final)
        {
            var consumed = 0;
            while (true)
            {
                var rest = data[consumed..];
                var newline = rest.IndexOf((byte)'\n');
                if (newline < 0 && !final) return consumed;
                var line = newline < 0 ? rest : rest[..newline];
                consumed += newline < 0 ? rest.Length : newline + 1;
                _line++;
                var trimmed = line.Trim(" \t\r"u8);
                if (trimmed.Length > 0) AddLine(trimmed);
                if (newline < 0)
                {
                    Done = true;
                    return consumed;
                }
            }
        }

        private void AddLine(ReadOnlySpan<byte> line)
        {
            try
            {
                var reader = new Utf8JsonReader(line);
                reader.Read();
                var isObject = reader.TokenType == JsonTokenType.StartObject;
                reader.Skip();
                if (reader.Read()) throw new JsonException("more than one JSON value on the line");
                Add(line, isObject);
            }
            catch (JsonException e)
            {
                throw new BadHttpRequestException($"Line {_line} is not valid JSON: {e.Message}");
            }
        }
    }
}

/// <summary>The envelope fields of a JSON ingest body; <c>Records</c> is false when the body had no records array.</summary>
public sealed record IngestEnvelope(string? Table = null, string? TenantId = null, string? JobId = null, string? SchemaVersion = null, bool Records = true);
