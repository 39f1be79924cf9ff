using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
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
            .Accepts<IngestRequest>("application/json", "application/x-ndjson")
            .WithSummary("Store job output records in a lake table (created on first write); 201 once committed.")
            .WithDescription("JSON body {table, records, schema_version, job_id, tenant_id}, or NDJSON records with those as query " +
                             "parameters. gzip bodies are accepted (Content-Encoding: gzip). Idempotency-Key makes retries safe.");
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
        HttpContext http, [AsParameters] IngestParameters parameters, IngestService ingest,
        IOptions<DataPlaneOptions> options, IOptions<HttpJsonOptions> json, CancellationToken cancellationToken)
    {
        var limits = options.Value.Ingest;
        var body = IngestBody.Limited(http.Request, limits.MaxBodyBytes);
        IngestRequest request;
        if (IngestBody.IsNdjson(http.Request))
        {
            request = new IngestRequest
            {
                Table = parameters.Table, TenantId = parameters.TenantId, JobId = parameters.JobId,
                SchemaVersion = parameters.SchemaVersion is null ? default : JsonSerializer.SerializeToElement(parameters.SchemaVersion),
                Records = await IngestBody.ReadNdjsonAsync(body, cancellationToken),
            };
        }
        else
        {
            try
            {
                request = await JsonSerializer.DeserializeAsync<IngestRequest>(body, json.Value.SerializerOptions, cancellationToken)
                          ?? throw new JsonException("The body is JSON null.");
            }
            catch (JsonException e)
            {
                return Problems.BadRequest($"The body is not a valid ingest request: {e.Message}");
            }
        }

        if (Validate(request, parameters, limits, out var command) is { } invalid) return invalid;
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
            return rejected.ToProblem();
        }
    }

    private static ProblemHttpResult? Validate(IngestRequest request, IngestParameters parameters, IngestOptions limits, out IngestCommand? command)
    {
        command = null;
        var tenant = request.TenantId ?? parameters.TenantId;
        if (TenantIds.Problem(tenant) is { } tenantProblem) return Problems.BadRequest(tenantProblem);
        if (!Identifiers.TryParseTable(request.Table ?? parameters.Table, out var table, out var tableProblem))
            return Problems.BadRequest($"Invalid table: {tableProblem}.");
        var job = request.JobId ?? parameters.JobId;
        if (string.IsNullOrWhiteSpace(job) || job.Length > 256) return Problems.BadRequest("job_id is required (at most 256 characters).");
        var schemaVersion = request.SchemaVersion.ValueKind switch
        {
            JsonValueKind.String => request.SchemaVersion.GetString(),
            JsonValueKind.Number => request.SchemaVersion.GetRawText(),
            _ => parameters.SchemaVersion,
        };
        if (string.IsNullOrWhiteSpace(schemaVersion) || schemaVersion.Length > 64)
            return Problems.BadRequest("schema_version is required: a string or number of at most 64 characters.");
        if (request.Records is null) return Problems.BadRequest("records is required: an array of JSON objects.");
        if (request.Records.Count == 0) return Problems.BadRequest("records is empty; send at least one record.");
        if (request.Records.Count > limits.MaxRecordsPerRequest)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Too many records",
                $"{request.Records.Count} records is more than {limits.MaxRecordsPerRequest} per request; split the request.");
        var mode = parameters.OnError?.ToLowerInvariant() switch
        {
            null or "" or "reject" => OnError.Reject,
            "quarantine" => OnError.Quarantine,
            _ => (OnError?)null,
        };
        if (mode is null) return Problems.BadRequest("on_error must be 'reject' or 'quarantine'.");
        if (parameters.IdempotencyKey is { Length: 0 or > 255 })
            return Problems.BadRequest("Idempotency-Key must be 1-255 characters.");

        var draft = new IngestCommand(table, tenant!, job, schemaVersion, request.Records, mode.Value, parameters.IdempotencyKey, "", "anonymous");
        // Only a keyed request is ever compared with another; hashing every record of every request costs CPU for nothing.
        command = parameters.IdempotencyKey is null ? draft : draft with { RequestHash = IngestBody.Hash(draft) };
        return null;
    }
}
