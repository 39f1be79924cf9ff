using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Ingest;

/// <summary>An ingest body's limits and content type, and the fingerprint of what a request asks to store.</summary>
public static class IngestBody
{
    public static bool IsParquet(HttpRequest request) =>
        request.ContentType?.StartsWith("application/vnd.apache.parquet", StringComparison.OrdinalIgnoreCase) == true
        || request.ContentType?.StartsWith("application/x-parquet", StringComparison.OrdinalIgnoreCase) == true;

    public static bool IsNdjson(HttpRequest request) =>
        request.ContentType?.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) == true
        || request.ContentType?.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The request body, failing with 413 past <paramref name="maxBytes"/> (after gzip decompression).</summary>
    public static Stream Limited(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        return new LimitedStream(request.Body, maxBytes);
    }

    /// <summary>A fingerprint of what the request asks to store, to tell a retry from a different request with the same key.</summary>
    public static string Hash(IngestCommand command)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in new[] { command.Table.ToString(), command.TenantId, command.JobId, command.SchemaVersion, command.Mode.ToString() })
            hash.AppendData(Encoding.UTF8.GetBytes(part + "\u001f"));
        if (command.Records is RequestSpool records)
            records.ForEach((_, record) => hash.AppendData(Encoding.UTF8.GetBytes(Canonical(record) + "\u001e")));
        else
            using (var file = File.OpenRead(command.Records.Path)) hash.AppendData(SHA256.HashData(file));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// JSON with object members sorted and no whitespace, so a re-serialised retry hashes the same (a spooled
    /// record's position field left out).
    /// </summary>
    public static string Canonical(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) WriteCanonical(writer, value, record: true);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value, bool record = false)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().Where(p => !record || p.Name != RequestSpool.IndexField).OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    public static BadHttpRequestException TooLarge(long maxBytes) =>
        new($"The request body is larger than {maxBytes} bytes (after decompression); split it into several requests.", StatusCodes.Status413PayloadTooLarge);

    private sealed class LimitedStream(Stream inner, long maxBytes) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > maxBytes) throw TooLarge(maxBytes);
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
