namespace Auraison.DataPlane.Lake;

/// <summary>Where a lake keeps its catalog, its data files and its local working files.</summary>
public sealed record LakeSettings
{
    /// <summary>Local working directory: the embedded catalog file, the file cache and temporary files.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>A PostgreSQL connection string, or null for an embedded DuckDB catalog file in the work directory.</summary>
    public string? CatalogConnectionString { get; init; }

    /// <summary>Catalog file of the embedded mode; defaults to <c>catalog.ducklake</c> in the work directory.</summary>
    public string? CatalogFile { get; init; }

    /// <summary><c>s3://bucket/prefix/</c> or a local directory; null means <c>lake/</c> in the work directory.</summary>
    public string? DataPath { get; init; }

    public S3Settings S3 { get; init; } = new();

    /// <summary>Upper bound of the local copy of remote data files.</summary>
    public long CacheBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    public bool IsEmbeddedCatalog => string.IsNullOrWhiteSpace(CatalogConnectionString);

    public string ResolvedCatalogFile => CatalogFile ?? Path.Combine(WorkDirectory, "catalog.ducklake");

    public string ResolvedDataPath => DataPaths.Normalize(
        string.IsNullOrWhiteSpace(DataPath) ? Path.Combine(Path.GetFullPath(WorkDirectory), "lake") : DataPath);
}

public sealed record S3Settings
{
    public string? ServiceUrl { get; init; }
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }
    public string Region { get; init; } = "us-east-1";
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Objects larger than this go up as a multipart upload of parts this size (S3 allows 5 MiB to 5 GiB).</summary>
    public int PartSizeMegabytes { get; init; } = 64;
}
