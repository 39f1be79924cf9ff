using System.Text.Json;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Auraison.DataPlane.Objects;

/// <summary>
/// Raw files beside the lake (video chunks, point clouds, checkpoints): stored and served by key, tenant by tenant,
/// each one a row of <c>objects.registry</c>.
/// </summary>
public static class ObjectsApi
{
    public const string ChecksumHeader = "x-checksum-sha256";
    public const string MetadataPrefix = "x-meta-";
    private const int MaxMetadataBytes = 8 * 1024;
    private const int DefaultLimit = 1000;
    private const string DefaultContentType = "application/octet-stream";

    public static RouteGroupBuilder MapObjects(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/objects").WithTags("Objects");
        group.MapGet("", ListAsync).RequireScope(ApiScopes.Query).WithSummary("The tenant's objects whose key starts with prefix, in key order, a page at a time.");
        group.MapPut("/{**key}", PutAsync).RequireScope(ApiScopes.Ingest)
            .WithSummary("Store an object (any size, streamed); x-checksum-sha256 is verified, x-meta-* headers become its metadata.");
        group.MapMethods("/{**key}", [HttpMethods.Get, HttpMethods.Head], GetAsync).RequireScope(ApiScopes.Query)
            .WithSummary("An object's bytes (Range, ETag and If-None-Match supported); HEAD for its headers alone.");
        group.MapPost("/uploads", BeginUploadAsync).RequireScope(ApiScopes.Ingest)
            .WithSummary("A presigned URL (S3 storage) through which a worker PUTs an object's bytes straight to the store.");
        group.MapPost("/uploads/{upload_id}/complete", CompleteUploadAsync).RequireScope(ApiScopes.Ingest)
            .WithSummary("Check the uploaded bytes (size, SHA-256) and record the object.");
        group.MapDelete("/{**key}", DeleteAsync).RequireScope(ApiScopes.Ingest).WithSummary("Delete an object: its registry row and its bytes.");
        return group;
    }

    public sealed record ObjectReply(string Key, long SizeBytes, string Sha256, string ContentType, JsonElement? Metadata, string JobId,
        DateTimeOffset StoredAt, long? LakeSnapshotId);

    public sealed record UploadRequest(string? TenantId, string? Key, string? ContentType, long? SizeBytes, string? Sha256,
        Dictionary<string, string>? Metadata, string? JobId);

    public sealed record ObjectList(IReadOnlyList<ObjectReply> Objects, string? NextAfter);

    private static async Task<Results<Created<ObjectReply>, Ok<ObjectReply>, ProblemHttpResult>> PutAsync(HttpContext http, string key,
        [FromQuery(Name = "tenant_id")] string? tenantId, [FromQuery(Name = "job_id")] string? jobId, ObjectWriter writer,
        IOptions<DataPlaneOptions> options, CancellationToken cancellationToken)
    {
        if (ObjectKeys.Problem(key) is { } keyProblem) return Problems.BadRequest(keyProblem);
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        var metadata = MetadataOf(http.Request);
        if (MetadataProblem(metadata) is { } metadataProblem) return Problems.BadRequest(metadataProblem);
        var checksum = http.Request.Headers[ChecksumHeader].ToString() is { Length: > 0 } given ? given : null;
        if (ChecksumProblem(checksum) is { } checksumProblem) return Problems.BadRequest(checksumProblem);
        if (JobOf(jobId, metadata) is not { } job) return Problems.BadRequest("job_id is at most 256 characters.");
        // Kestrel's own limit (30 MB by default) would cut an object off long before the configured one.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = options.Value.Objects.MaxObjectBytes;

        var put = new ObjectPut(tenantId!, key, string.IsNullOrWhiteSpace(http.Request.ContentType) ? DefaultContentType : http.Request.ContentType,
            checksum?.ToLowerInvariant(), metadata, job, http.Caller().Id);
        try
        {
            return StoredReply(http, await writer.PutAsync(put, http.Request.Body, cancellationToken), tenantId!);
        }
        catch (IngestRejectedException rejected)
        {
            return rejected.ToProblem(http);
        }
    }

    private static async Task<Results<Created<UploadGrant>, ProblemHttpResult>> BeginUploadAsync(HttpContext http, UploadRequest request,
        ObjectUploads uploads, CancellationToken cancellationToken)
    {
        if (ObjectKeys.Problem(request.Key) is { } keyProblem) return Problems.BadRequest(keyProblem);
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        var metadata = request.Metadata ?? [];
        if (MetadataProblem(metadata) is { } metadataProblem) return Problems.BadRequest(metadataProblem);
        if (ChecksumProblem(request.Sha256) is { } checksumProblem) return Problems.BadRequest(checksumProblem);
        if (request.SizeBytes is < 0) return Problems.BadRequest("size_bytes cannot be negative.");
        if (JobOf(request.JobId, metadata) is not { } job) return Problems.BadRequest("job_id is at most 256 characters.");
        var put = new ObjectPut(request.TenantId!, request.Key!, string.IsNullOrWhiteSpace(request.ContentType) ? DefaultContentType : request.ContentType,
            request.Sha256?.ToLowerInvariant(), metadata, job, http.Caller().Id);
        return await uploads.BeginAsync(put, request.SizeBytes, cancellationToken) is { } grant
            ? TypedResults.Created($"/data/objects/uploads/{grant.UploadId}", grant)
            : Problems.Of(StatusCodes.Status501NotImplemented, "No presigned uploads",
                "This lake stores its files in a local directory, which has no presigned URLs: PUT /data/objects/{key} streams through the service.");
    }

    private static async Task<Results<Created<ObjectReply>, Ok<ObjectReply>, ProblemHttpResult>> CompleteUploadAsync(HttpContext http,
        [FromRoute(Name = "upload_id")] string uploadId, [FromQuery(Name = "tenant_id")] string? tenantId, ObjectUploads uploads,
        CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        try
        {
            if (await uploads.CompleteAsync(tenantId!, uploadId, cancellationToken) is not { } stored)
                return Problems.NotFound($"Tenant {tenantId} has no pending upload {uploadId}.");
            return StoredReply(http, stored, tenantId!);
        }
        catch (IngestRejectedException rejected)
        {
            return rejected.ToProblem(http);
        }
    }

    private static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> GetAsync(HttpContext http, string key,
        [FromQuery(Name = "tenant_id")] string? tenantId, ObjectIndex index, LakeAccessor lakes, CancellationToken cancellationToken)
    {
        if (ObjectKeys.Problem(key) is { } keyProblem) return Problems.BadRequest(keyProblem);
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (await index.FindAsync(tenantId!, key, cancellationToken) is not { } found) return NotFound(key, tenantId!);
        var lake = await lakes.GetAsync(cancellationToken);
        var local = await lake.Storage.GetLocalPathAsync(found.Path, cancellationToken);
        foreach (var (name, value) in found.Metadata?.EnumerateObject().Select(p => (p.Name, p.Value.ToString())) ?? [])
            http.Response.Headers[MetadataPrefix + name] = value;
        http.Response.Headers[ChecksumHeader] = found.Sha256;
        return TypedResults.PhysicalFile(local, found.ContentType, lastModified: found.StoredAt, entityTag: EntityTagHeaderValue.Parse(found.ETag),
            enableRangeProcessing: true);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext http, string key,
        [FromQuery(Name = "tenant_id")] string? tenantId, ObjectWriter writer, CancellationToken cancellationToken)
    {
        if (ObjectKeys.Problem(key) is { } keyProblem) return Problems.BadRequest(keyProblem);
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        return await writer.DeleteAsync(tenantId!, key, cancellationToken) ? TypedResults.NoContent() : NotFound(key, tenantId!);
    }

    private static async Task<Results<Ok<ObjectList>, ProblemHttpResult>> ListAsync(HttpContext http, [FromQuery(Name = "tenant_id")] string? tenantId,
        [FromQuery(Name = "prefix")] string? prefix, [FromQuery(Name = "after")] string? after, [FromQuery(Name = "limit")] int? limit, ObjectIndex index,
        CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (limit is < 1 or > DefaultLimit) return Problems.BadRequest($"limit must be between 1 and {DefaultLimit}.");
        var page = limit ?? DefaultLimit;
        var objects = await index.ListAsync(tenantId!, prefix ?? "", after, page + 1, cancellationToken);
        var shown = objects.Take(page).Select(o => Reply(o, null)).ToList();
        return TypedResults.Ok(new ObjectList(shown, objects.Count > page ? shown[^1].Key : null));
    }

    /// <summary>The x-meta-* headers as metadata: names lower case, without the prefix, '-' read as '_'.</summary>
    private static Dictionary<string, string> MetadataOf(HttpRequest request) =>
        request.Headers.Where(h => h.Key.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key[MetadataPrefix.Length..].ToLowerInvariant().Replace('-', '_'), h => h.Value.ToString(), StringComparer.Ordinal);

    private static string? MetadataProblem(Dictionary<string, string> metadata)
    {
        if (metadata.Keys.FirstOrDefault(name => Identifiers.FieldProblem(name) is not null) is { } bad)
            return $"Metadata {bad}: {Identifiers.FieldProblem(bad)}.";
        // They come back as x-meta-* response headers.
        if (metadata.FirstOrDefault(m => m.Value.Any(c => char.IsControl(c) || c > '~')) is { Key: { } unprintable })
            return $"Metadata {unprintable} must be printable ASCII (it is answered as the x-meta-{unprintable} header).";
        return metadata.Sum(m => m.Key.Length + m.Value.Length) > MaxMetadataBytes ? $"Metadata may hold at most {MaxMetadataBytes} bytes." : null;
    }

    private static string? ChecksumProblem(string? sha256) =>
        sha256 is null || (sha256.Length == 64 && sha256.All(char.IsAsciiHexDigit)) ? null : "The SHA-256 must be 64 hexadecimal digits.";

    /// <summary>The lineage job: job_id given, else the job_id metadata, else "objects"; null when too long.</summary>
    private static string? JobOf(string? jobId, Dictionary<string, string> metadata) =>
        (jobId ?? metadata.GetValueOrDefault("job_id") ?? "objects") is { Length: <= 256 } job ? job : null;

    private static Results<Created<ObjectReply>, Ok<ObjectReply>, ProblemHttpResult> StoredReply(HttpContext http, ObjectWriter.Stored stored, string tenant)
    {
        var reply = Reply(stored.Object, stored.Replayed ? null : stored.LakeSnapshotId);
        if (!stored.Replayed) return TypedResults.Created(Location(stored.Object.Key, tenant), reply);
        http.Response.Headers[IngestApi.ReplayedHeader] = "true";
        return TypedResults.Ok(reply);
    }

    private static ObjectReply Reply(ObjectInfo info, long? lakeSnapshotId) =>
        new(info.Key, info.SizeBytes, info.Sha256, info.ContentType, info.Metadata, info.JobId, info.StoredAt, lakeSnapshotId);

    private static string Location(string key, string tenant) =>
        $"/data/objects/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}?tenant_id={Uri.EscapeDataString(tenant)}";

    private static ProblemHttpResult NotFound(string key, string tenant) =>
        Problems.NotFound($"Tenant {tenant} has no object {key}.");
}
