namespace Auraison.DataPlane.Lake.Storage;

/// <summary>
/// Where data files live. Paths are full DuckLake paths (<c>s3://bucket/key</c> or an absolute local path), as
/// resolved through the data_path → schema → table → file chain.
/// </summary>
public interface IObjectStore
{
    /// <summary>Stores a finished local file durably at <paramref name="path"/>; readers never see a partial object.</summary>
    Task UploadAsync(string localFile, string path, CancellationToken cancellationToken);

    /// <summary>A local file with the object's bytes, for DuckDB to read.</summary>
    Task<string> GetLocalPathAsync(string path, CancellationToken cancellationToken);

    /// <summary>Where <see cref="GetLocalPathAsync"/> puts or finds the object's local file, without fetching it.</summary>
    string LocalPathOf(string path);

    /// <summary>
    /// The local directory holding the local files of exactly the objects under <paramref name="directory"/> (the
    /// directory itself for a local store); null when their local files are not kept under one.
    /// </summary>
    string? LocalDirectoryOf(string directory);

    Task<bool> ExistsAsync(string path, CancellationToken cancellationToken);

    /// <summary>Where local copies live that can be evicted after <see cref="GetLocalPathAsync"/>; null when reads go to the store's own files.</summary>
    string? CacheDirectory { get; }

    /// <summary>
    /// A URL through which a client PUTs the object itself (with this Content-Type) until <paramref name="expiresAt"/>;
    /// null where the store has no such URLs (a local directory).
    /// </summary>
    Task<Uri?> PresignUploadAsync(string path, string contentType, DateTimeOffset expiresAt);

    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Every object under a directory (recursively), with its size.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string directory, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot be reached or written; used by readiness checks.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    static IObjectStore Create(string dataPath, LakeSettings settings) => new InstrumentedObjectStore(DataPaths.IsS3(dataPath)
        ? new S3ObjectStore(dataPath, settings.S3, new FileCache(Path.Combine(settings.WorkDirectory, "cache"), settings.CacheBytes))
        : new LocalObjectStore(dataPath));
}

public sealed record StoredObject(string Path, long SizeBytes, DateTime LastModifiedUtc);
