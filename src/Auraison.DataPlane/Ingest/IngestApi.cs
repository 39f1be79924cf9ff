using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Ingest;

public static class IngestApi
{
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static RouteGroupBuilder MapIngest(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/ingest").WithTags("Ingest").RequireScope(ApiScopes.Ingest);
        group.MapPost("", IngestAsync)
            .Accepts<IngestRequest>("application/json", "application/x-ndjson", "application/vnd.apache.parquet")
            .WithSummary("Store job output records in a lake table (created on first write); 201 once committed.")
            .WithDescription("JSON body {table, records, schema_version, job_id, tenant_id}, or NDJSON records or a Parquet file with " +
                             "those as query parameters. gzip bodies are accepted (Content-Encoding: gzip). Idempotency-Key makes retries safe.");
        return group;
    }

    /// <summary>Envelope fields as query parameters (NDJSON bodies), and the request's options.</summary>
    public sealed record IngestParameters(
        [property: FromQuery(Name = "table")] string? Table,
        [property: FromQuery(Name = "job_id")] string? JobId,
        [property: FromQuery(Name = "tenant_id")] string? TenantId,
        [property: FromQuery(Name = "schema_version")] string? SchemaVersion,
        [property: FromQuery(Name = "on_error")] string? OnError,
        [property: FromHeader(Name = IdempotencyHeader)] string? IdempotencyKey);

    private static async Task<Results<Created<IngestReply>, ProblemHttpResult>> IngestAsync(
        HttpContext http, [AsParameters] IngestParameters parameters, IngestService ingest, IOptions<DataPlaneOptions> options,
        CancellationToken cancellationToken)
    {
        var limits = options.Value.Ingest;
        // Kestrel's own limit (30 MB by default) would cut the body off long before the configured one.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limits.MaxBodyBytes;
        var body = IngestBody.Limited(http.Request, limits.MaxBodyBytes);
        ISpooledRows records;
        try
        {
            records = IngestBody.IsParquet(http.Request) ? await ingest.SpoolParquetAsync(body, cancellationToken)
                : IngestBody.IsNdjson(http.Request) ? await RequestSpool.ReadNdjsonAsync(body, ingest.SpoolDirectory, limits.MaxRecordsPerRequest, cancellationToken)
                : await RequestSpool.ReadJsonAsync(body, ingest.SpoolDirectory, limits.MaxRecordsPerRequest, cancellationToken);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"The body is not a valid ingest request: {e.Message}");
        }
        using (records)
        {
            if (Validate(records, parameters, out var command) is { } invalid) return invalid;
            if (TenantAccess.Check(http, command!.TenantId) is { } denied) return denied;
            command = command with { Caller = http.Caller().Id };
            try
            {
                var outcome = await ingest.IngestAsync(command, cancellationToken);
                if (outcome.Replayed) http.Response.Headers[ReplayedHeader] = "true";
                return TypedResults.Created((string?)null, outcome.Reply);
            }
            catch (IngestRejectedException rejected)
            {
                return rejected.ToProblem(http);
            }
        }
    }

    private static ProblemHttpResult? Validate(ISpooledRows records, IngestParameters parameters, out IngestCommand? command)
    {
        command = null;
        // Only a JSON body carries the envelope; NDJSON and columnar bodies take it from the query string.
        var envelope = (records as RequestSpool)?.Envelope ?? new IngestEnvelope();
        var tenant = envelope.TenantId ?? parameters.TenantId;
        if (TenantIds.Problem(tenant) is { } tenantProblem) return Problems.BadRequest(tenantProblem);
        if (!Identifiers.TryParseTable(envelope.Table ?? parameters.Table, out var table, out var tableProblem))
            return Problems.BadRequest($"Invalid table: {tableProblem}.");
        var job = envelope.JobId ?? parameters.JobId;
        if (string.IsNullOrWhiteSpace(job) || job.Length > 256) return Problems.BadRequest("job_id is required (at most 256 characters).");
        var schemaVersion = envelope.SchemaVersion ?? parameters.SchemaVersion;
        if (string.IsNullOrWhiteSpace(schemaVersion) || schemaVersion.Length > 64)
            return Problems.BadRequest("schema_version is required: a string or number of at most 64 characters.");
        if (!envelope.Records) return Problems.BadRequest("records is required: an array of JSON objects.");
        if (records.Count == 0) return Problems.BadRequest("records is empty; send at least one record.");
        var mode = parameters.OnError?.ToLowerInvariant() switch
        {
            null or "" or "reject" => OnError.Reject,
            "quarantine" => OnError.Quarantine,
            _ => (OnError?)null,
        };
        if (mode is null) return Problems.BadRequest("on_error must be 'reject' or 'quarantine'.");
        if (parameters.IdempotencyKey is { Length: 0 or > 255 })
            return Problems.BadRequest("Idempotency-Key must be 1-255 characters.");

        var draft = new IngestCommand(table, tenant!, job, schemaVersion, records, mode.Value, parameters.IdempotencyKey, "", "anonymous");
        // Only a keyed request is ever compared with another; hashing every record of every request costs CPU for nothing.
        command = parameters.IdempotencyKey is null ? draft : draft with { RequestHash = IngestBody.Hash(draft) };
        return null;
    }
}
