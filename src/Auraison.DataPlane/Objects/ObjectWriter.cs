using System.Security.Cryptography;
using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Tenancy;
using Microsoft.Extensions.Options;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Objects;

/// <summary>What a PUT of an object asks for, besides its bytes.</summary>
public sealed record ObjectPut(string Tenant, string Key, string ContentType, string? ExpectedSha256, IReadOnlyDictionary<string, string> Metadata,
    string JobId, string Caller);

/// <summary>
/// Stores objects and deletes them. An object is written once: its bytes go to a path of their own
/// (<c>raw-objects/{tenant}/{upload id}/{key}</c>, so concurrent writers never overwrite each other's bytes), then its
/// registry row is committed; if the commit fails the bytes are deleted again. The same bytes under the same key
/// replay; other bytes under a key in use are refused (409) until the key is deleted.
/// </summary>
public sealed class ObjectWriter(LakeAccessor lakes, IngestService ingest, ObjectIndex index, StorageQuota quota, IOptions<DataPlaneOptions> options,
    TimeProvider clock)
{
    public const string SchemaVersion = "object/1";

    public sealed record Stored(ObjectInfo Object, bool Replayed, long LakeSnapshotId);

    public async Task<Stored> PutAsync(ObjectPut put, Stream body, CancellationToken cancellationToken)
    {
        var spool = Path.Combine(ingest.SpoolDirectory, $"object-{Guid.NewGuid():N}");
        try
        {
            var (size, sha256) = await SpoolAsync(body, spool, cancellationToken);
            Verify(put, size, sha256);
            if (await AdmitAsync(put, size, sha256, cancellationToken) is { } existing) return new Stored(existing, Replayed: true, -1);
            var lake = await lakes.GetAsync(cancellationToken);
            var path = NewPath(lake, put);
            await lake.Storage.UploadAsync(spool, path, cancellationToken);
            return await RegisterAsync(put, path, size, sha256, cancellationToken);
        }
        finally
        {
            File.Delete(spool);
        }
    }

    /// <summary>Where the bytes of a new object go: a path of their own, so writers racing for one key never overwrite each other.</summary>
    public static string NewPath(Lake.Lakehouse lake, ObjectPut put) => $"{lake.RawObjectsPath}{put.Tenant}/{Guid.CreateVersion7()}/{put.Key}";

    /// <summary>
    /// Records bytes already stored at <paramref name="path"/> (a client's presigned upload, a dataset export): checks
    /// them like a PUT's body and registers them; bytes refused are deleted.
    /// </summary>
    public async Task<Stored> RecordUploadedAsync(ObjectPut put, string path, long? declaredSize, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var (size, sha256) = await HashFileAsync(await lake.Storage.GetLocalPathAsync(path, cancellationToken), cancellationToken);
        ObjectInfo? existing;
        try
        {
            if (declaredSize is { } declared && declared != size)
                throw new IngestRejectedException(StatusCodes.Status422UnprocessableEntity, "Size mismatch",
                    $"The uploaded object has {size} bytes, not the {declared} the upload declared; it was deleted.");
            Verify(put, size, sha256);
            existing = await AdmitAsync(put, size, sha256, cancellationToken);
        }
        catch (IngestRejectedException)
        {
            await lake.Storage.DeleteAsync(path, CancellationToken.None);
            throw;
        }
        if (existing is null) return await RegisterAsync(put, path, size, sha256, cancellationToken);
        // A second copy of the same bytes goes; the stored object stays (a re-export may write to the very same path).
        if (existing.Path != path) await lake.Storage.DeleteAsync(path, CancellationToken.None);
        return new Stored(existing, Replayed: true, -1);
    }

    private static void Verify(ObjectPut put, long size, string sha256)
    {
        if (put.ExpectedSha256 is { } expected && !expected.Equals(sha256, StringComparison.OrdinalIgnoreCase))
            throw new IngestRejectedException(StatusCodes.Status422UnprocessableEntity, "Checksum mismatch",
                $"The {size} bytes have SHA-256 {sha256}, not the announced {expected}; nothing was stored.");
    }

    /// <summary>
    /// Refuses other bytes under a key in use (409) and bytes past the tenant's quota (507); returns the object when
    /// these very bytes are stored under the key already (a retry).
    /// </summary>
    private async Task<ObjectInfo?> AdmitAsync(ObjectPut put, long size, string sha256, CancellationToken cancellationToken)
    {
        if (await index.FindAsync(put.Tenant, put.Key, cancellationToken) is { } existing)
            return existing.Sha256 == sha256 && existing.SizeBytes == size
                ? existing
                : throw new IngestRejectedException(StatusCodes.Status409Conflict, "Object exists",
                    $"Object {put.Key} already exists with other content (sha256 {existing.Sha256}); objects are written once, DELETE it first.");
        await quota.RequireAsync(await lakes.GetAsync(cancellationToken), [(put.Tenant, size)], cancellationToken);
        return null;
    }

    /// <summary>Commits the registry row of bytes stored at <paramref name="path"/>; if the commit fails they are deleted.</summary>
    private async Task<Stored> RegisterAsync(ObjectPut put, string path, long size, string sha256, CancellationToken cancellationToken)
    {
        var info = new ObjectInfo(put.Key, path, size, sha256, put.ContentType, JsonSerializer.SerializeToElement(put.Metadata), put.JobId, clock.GetUtcNow());
        try
        {
            using var records = RequestSpool.Of([(0, writer => WriteRow(writer, info))], ingest.SpoolDirectory);
            var command = new IngestCommand(ObjectIndex.Table, put.Tenant, put.JobId, SchemaVersion, records, OnError.Reject, null, "", put.Caller);
            return new Stored(info, Replayed: false, (await ingest.IngestAsync(command, cancellationToken)).Reply.LakeSnapshotId);
        }
        catch
        {
            await (await lakes.GetAsync(CancellationToken.None)).Storage.DeleteAsync(path, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Deletes an object: its registry rows in one commit, then its bytes. False when the tenant has no such object.</summary>
    public async Task<bool> DeleteAsync(string tenant, string key, CancellationToken cancellationToken)
    {
        var rows = await index.AllVersionsAsync(tenant, key, cancellationToken);
        if (rows.Count == 0) return false;
        var lake = await lakes.GetAsync(cancellationToken);
        var registry = (await lake.ReadAsync(SnapshotSelector.Latest, cancellationToken,
                new(t => t.SchemaName == ObjectIndex.Table.Schema && t.Name == ObjectIndex.Table.Name), inlinedRows: false)).Tables.Single();
        await lake.DeleteWhereAsync(registry, $"{TenantData.RowFilter(tenant)} AND key = {Literal(key)}", cancellationToken,
            new CommitOptions { Author = "objects", Message = $"delete object {key}", ExtraInfo = TenantCommits.Of(tenant) }, TenantData.Scope(tenant));
        foreach (var row in rows) await lake.Storage.DeleteAsync(row.Path, cancellationToken);
        return true;
    }

    /// <summary>Copies the body to a local file while hashing it; refuses (413) past the configured size, without reading further.</summary>
    private async Task<(long Size, string Sha256)> SpoolAsync(Stream body, string spool, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var hashed = await HashAsync(body, file, options.Value.Objects.MaxObjectBytes, cancellationToken);
        file.Flush(flushToDisk: true);
        return hashed;
    }

    private static async Task<(long Size, string Sha256)> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return await HashAsync(file, copyTo: null, long.MaxValue, cancellationToken);
    }

    /// <summary>Size and SHA-256 of a stream read to its end, copied on the way when <paramref name="copyTo"/> is given.</summary>
    private static async Task<(long Size, string Sha256)> HashAsync(Stream source, Stream? copyTo, long limit, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long size = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            size += read;
            if (size > limit)
                throw new IngestRejectedException(StatusCodes.Status413PayloadTooLarge, "Object too large",
                    $"The object is larger than DataPlane:Objects:MaxObjectBytes ({limit} bytes).");
            hash.AppendData(buffer, 0, read);
            if (copyTo is not null) await copyTo.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void WriteRow(Utf8JsonWriter writer, ObjectInfo info)
    {
        writer.WriteStartObject();
        writer.WriteString("key", info.Key);
        writer.WriteString("path", info.Path);
        writer.WriteNumber("size_bytes", info.SizeBytes);
        writer.WriteString("sha256", info.Sha256);
        writer.WriteString("content_type", info.ContentType);
        writer.WritePropertyName("metadata");
        (info.Metadata ?? JsonDocument.Parse("{}").RootElement).WriteTo(writer);
        writer.WriteString("stored_at", info.StoredAt);
        writer.WriteEndObject();
    }
}
