using System.Security.Cryptography;
using System.Text;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Objects;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// Registers Parquet files a worker already stored as the tenant's objects (PUT or presigned upload) into a table:
/// their rows become the table's in one snapshot, with lineage, checked and evolved by the ingest rules. The files
/// are read, not trusted: their rows are written with the tenant's partition and lineage columns, so the tenant
/// filter stays sound whatever the files hold (the bytes cross the service's disk, not the network, once more).
/// </summary>
public sealed class FileRegistration(ObjectIndex objects, IngestService ingest, LakeAccessor lakes)
{
    public const string SchemaVersion = "registered-files/1";

    public sealed record RegisteredFile(string Key, string Sha256, long SizeBytes);

    public sealed record Registered(IngestReply Reply, bool Replayed, IReadOnlyList<RegisteredFile> Files);

    /// <summary>Registers the files (object keys, or full paths of the tenant's objects); refuses unknown or foreign ones.</summary>
    public async Task<Registered> RegisterAsync(TableName table, string tenant, IReadOnlyList<string> files, string job, string caller,
        CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        List<ObjectInfo> found = [];
        foreach (var file in files)
        {
            var key = KeyOf(file, $"{lake.RawObjectsPath}{tenant}/");
            if (await objects.FindAsync(tenant, key, cancellationToken) is not { } stored || (IsPath(file) && stored.Path != file))
                throw new IngestRejectedException(StatusCodes.Status422UnprocessableEntity, "Unknown file",
                    $"Tenant {tenant} has no object {file}: store it with PUT /data/objects/{{key}} (or a presigned upload) first.");
            found.Add(stored);
        }
        List<string> local = [];
        foreach (var stored in found) local.Add(await lake.Storage.GetLocalPathAsync(stored.Path, cancellationToken));
        using var rows = await ParquetSpool.OpenAsync(local, lake, cancellationToken);
        // The same files into the same table again replay the first registration instead of storing their rows twice.
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", found.Select(f => f.Sha256).Order(StringComparer.Ordinal)))));
        var command = new IngestCommand(table, tenant, job, SchemaVersion, rows, OnError.Reject, $"register:{table}:{fingerprint}", fingerprint, caller);
        var outcome = await ingest.IngestAsync(command, cancellationToken);
        return new Registered(outcome.Reply, outcome.Replayed, found.Select(f => new RegisteredFile(f.Key, f.Sha256, f.SizeBytes)).ToList());
    }

    private static bool IsPath(string file) => file.StartsWith('/') || file.Contains("://", StringComparison.Ordinal);

    /// <summary>
    /// The object key a file names: itself, or for a full path, what follows the tenant's prefix and the upload's own
    /// directory. A path outside the tenant's prefix is refused (403).
    /// </summary>
    private static string KeyOf(string file, string tenantPrefix)
    {
        if (!IsPath(file))
            return ObjectKeys.Problem(file) is { } problem ? throw new IngestRejectedException(StatusCodes.Status400BadRequest, "Bad request", problem) : file;
        var slash = file.StartsWith(tenantPrefix, StringComparison.Ordinal) ? file.IndexOf('/', tenantPrefix.Length) : -1;
        return slash > 0
            ? file[(slash + 1)..]
            : throw new IngestRejectedException(StatusCodes.Status403Forbidden, "Forbidden",
                $"{file} is outside this tenant's objects ({tenantPrefix}); only the tenant's own files can be registered.");
    }
}
