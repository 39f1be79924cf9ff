using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Cli;

/// <summary>
/// Streams one file to /data/ingest without loading it: NDJSON (.ndjson, .jsonl), a JSON array of records (.json),
/// CSV with a header row (.csv, sent as NDJSON) or Parquet (.parquet), each optionally gzip (.gz). Progress goes to the error stream. The
/// Idempotency-Key is derived from the file, table and tenant, so a retry (or running the command again) stores once.
/// </summary>
public sealed class FileIngest(DataPlaneClient client, TextWriter progress)
{
    public sealed record Envelope(string Table, string JobId, string SchemaVersion, string? OnError);

    public async Task<JsonElement> SendAsync(string path, Envelope envelope, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new CliFailure(ExitCodes.Usage, $"No such file: {path}");
        var (format, gzip) = FormatOf(file.Name);
        var tenant = client.Tenant;
        var query = $"/data/ingest?table={Escape(envelope.Table)}&tenant_id={Escape(tenant)}&job_id={Escape(envelope.JobId)}" +
                    $"&schema_version={Escape(envelope.SchemaVersion)}" + (envelope.OnError is null ? "" : $"&on_error={Escape(envelope.OnError)}");
        var key = IdempotencyKey(file, envelope.Table, tenant);
        var reply = await client.SendAsync(() =>
        {
            Stream body = new ProgressStream(file.OpenRead(), file.Length, file.Name, progress);
            var jsonArray = format == "json";
            // Formats the service does not take as they are are converted here, decompressed first.
            if (gzip && format is "json" or "csv") body = new GZipStream(body, CompressionMode.Decompress);
            if (format == "csv") body = new CsvAsNdjson(new StreamReader(body, Encoding.UTF8));
            if (jsonArray) body = new ConcatStream(Encoding.UTF8.GetBytes($"{{\"table\":{Quote(envelope.Table)},\"tenant_id\":{Quote(tenant)}," +
                $"\"job_id\":{Quote(envelope.JobId)},\"schema_version\":{Quote(envelope.SchemaVersion)},\"records\":"), body, "}"u8.ToArray());
            var content = new StreamContent(body, 1 << 20);
            content.Headers.ContentType = new MediaTypeHeaderValue(format switch
            {
                "parquet" => "application/vnd.apache.parquet",
                "ndjson" or "csv" => "application/x-ndjson",
                _ => "application/json",
            });
            if (gzip && format is "ndjson" or "parquet") content.Headers.ContentEncoding.Add("gzip");
            var request = new HttpRequestMessage(HttpMethod.Post, jsonArray ? "/data/ingest" + (envelope.OnError is null ? "" : $"?on_error={Escape(envelope.OnError)}") : query)
            {
                Content = content,
            };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }, cancellationToken);
        await progress.WriteLineAsync();
        return reply;
    }

    private static (string Format, bool Gzip) FormatOf(string name)
    {
        var gzip = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        var bare = gzip ? name[..^3] : name;
        var extension = Path.GetExtension(bare).ToLowerInvariant();
        return extension switch
        {
            ".ndjson" or ".jsonl" => ("ndjson", gzip),
            ".json" => ("json", gzip),
            ".parquet" => ("parquet", gzip),
            ".csv" => ("csv", gzip),
            _ => throw new CliFailure(ExitCodes.Usage, $"{name}: unknown format; use .ndjson/.jsonl, .json (an array of records), .csv (with a header row) or .parquet, optionally .gz."),
        };
    }

    private static string IdempotencyKey(FileInfo file, string table, string tenant) =>
        "lakehouse-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', file.FullName,
            file.Length.ToString(CultureInfo.InvariantCulture), file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), table, tenant))))[..32];

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
