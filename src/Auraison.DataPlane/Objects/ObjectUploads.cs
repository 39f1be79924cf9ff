using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake.Catalog;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Objects;

/// <summary>An upload a worker makes straight to the object store: where to PUT, until when, and how to finish it.</summary>
public sealed record UploadGrant(string UploadId, Uri Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>
/// Presigned uploads (S3 storage): a worker asks for a URL, PUTs its bytes to the store directly, then completes the
/// upload, which checks size and checksum and records the object. Pending uploads are rows of
/// <c>dataplane_object_uploads</c>; ones never completed are deleted with their bytes after they expire (<see cref="SweepExpiredAsync"/>).
/// </summary>
public sealed class ObjectUploads(LakeAccessor lakes, ObjectWriter writer, IOptions<DataPlaneOptions> options, TimeProvider clock)
{
    /// <summary>A grant for one object; null when the store has no presigned URLs (a local directory).</summary>
    public async Task<UploadGrant?> BeginAsync(ObjectPut put, long? sizeBytes, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var path = ObjectWriter.NewPath(lake, put);
        var expiresAt = clock.GetUtcNow().AddMinutes(options.Value.Objects.UploadUrlMinutes);
        if (await lake.Storage.PresignUploadAsync(path, put.ContentType, expiresAt) is not { } url) return null;
        var uploadId = Guid.CreateVersion7().ToString();
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null,
            "INSERT INTO dataplane_object_uploads VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS TIMESTAMP WITH TIME ZONE))",
            cancellationToken, uploadId, put.Tenant, put.Key, path, put.ContentType, sizeBytes, put.ExpectedSha256, JsonSerializer.Serialize(put.Metadata),
            put.JobId, put.Caller, CatalogReader.Timestamp(expiresAt));
        return new UploadGrant(uploadId, url, HttpMethods.Put, new Dictionary<string, string> { ["Content-Type"] = put.ContentType }, expiresAt);
    }

    /// <summary>Checks and records what was uploaded; null when the tenant has no such pending upload.</summary>
    public async Task<ObjectWriter.Stored?> CompleteAsync(string tenant, string uploadId, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var pending = (await connection.QueryAsync(null,
            "SELECT object_key, path, content_type, size_bytes, sha256, metadata, job_id, caller FROM dataplane_object_uploads WHERE upload_id = $1 AND tenant_id = $2",
            r => (Put: new ObjectPut(tenant, r.GetString(0), r.GetString(2), r.IsDBNull(4) ? null : r.GetString(4),
                    JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(5))!, r.GetString(6), r.GetString(7)),
                Path: r.GetString(1), Size: r.IsDBNull(3) ? (long?)null : r.GetInt64(3)),
            cancellationToken, uploadId, tenant)).SingleOrDefault();
        if (pending.Put is null) return null;
        if (!await lake.Storage.ExistsAsync(pending.Path, cancellationToken))
            throw new IngestRejectedException(StatusCodes.Status409Conflict, "Nothing uploaded",
                $"Upload {uploadId} has no bytes yet: PUT them to its URL first.");
        try
        {
            return await writer.RecordUploadedAsync(pending.Put, pending.Path, pending.Size, cancellationToken);
        }
        finally
        {
            await connection.ExecuteAsync(null, "DELETE FROM dataplane_object_uploads WHERE upload_id = $1", CancellationToken.None, uploadId);
        }
    }

    /// <summary>
    /// Uploads that expired more than <paramref name="grace"/> ago without being completed: deleted with their bytes
    /// (unless <paramref name="dryRun"/>); returns the paths of those bytes.
    /// </summary>
    public async Task<List<string>> SweepExpiredAsync(TimeSpan grace, bool dryRun, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var expired = await connection.QueryAsync(null,
            "SELECT upload_id, path FROM dataplane_object_uploads WHERE expires_at < CAST($1 AS TIMESTAMP WITH TIME ZONE)",
            r => (Id: r.GetString(0), Path: r.GetString(1)), cancellationToken, CatalogReader.Timestamp(clock.GetUtcNow() - grace));
        if (!dryRun)
            foreach (var (id, path) in expired)
            {
                await lake.Storage.DeleteAsync(path, cancellationToken);
                await connection.ExecuteAsync(null, "DELETE FROM dataplane_object_uploads WHERE upload_id = $1", cancellationToken, id);
            }
        return expired.Select(e => e.Path).ToList();
    }
}
