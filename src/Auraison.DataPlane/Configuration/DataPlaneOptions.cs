using Auraison.DataPlane.Lake;

namespace Auraison.DataPlane.Configuration;

/// <summary>The service's settings, section <c>DataPlane</c> (environment: <c>DataPlane__Catalog</c> and so on).</summary>
public sealed class DataPlaneOptions
{
    public const string Section = "DataPlane";

    /// <summary>Local working directory: embedded catalog and vectors, file cache, temporary files.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Empty: an embedded DuckDB catalog file in DataDir. Otherwise a PostgreSQL connection string.</summary>
    public string? Catalog { get; set; }

    /// <summary>Empty: <c>DataDir/lake/</c> on local disk. Otherwise <c>s3://bucket/prefix/</c> or a local directory.</summary>
    public string? DataPath { get; set; }

    /// <summary>Empty: vectors in an embedded DuckDB file. Otherwise a PostgreSQL connection string (pgvector).</summary>
    public string? Vectors { get; set; }

    public S3Options S3 { get; set; } = new();

    public IngestOptions Ingest { get; set; } = new();

    public QueryOptions Query { get; set; } = new();

    public RetrievalOptions Retrieval { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public PolicyOptions Policy { get; set; } = new();

    public MaintenanceOptions Maintenance { get; set; } = new();

    public ObjectsOptions Objects { get; set; } = new();

    public FeaturesOptions Features { get; set; } = new();

    public bool IsEmbeddedCatalog => string.IsNullOrWhiteSpace(Catalog);

    public bool IsEmbeddedVectors => string.IsNullOrWhiteSpace(Vectors);

    public bool AuthRequired => Auth.Enabled ?? !IsEmbeddedCatalog;

    public LakeSettings ToLakeSettings() => new()
    {
        WorkDirectory = Path.GetFullPath(DataDir),
        CatalogConnectionString = IsEmbeddedCatalog ? null : Catalog,
        DataPath = string.IsNullOrWhiteSpace(DataPath) ? null : DataPath,
        S3 = new S3Settings
        {
            ServiceUrl = string.IsNullOrWhiteSpace(S3.ServiceUrl) ? null : S3.ServiceUrl,
            AccessKey = string.IsNullOrWhiteSpace(S3.AccessKey) ? null : S3.AccessKey,
            SecretKey = string.IsNullOrWhiteSpace(S3.SecretKey) ? null : S3.SecretKey,
            Region = S3.Region,
            ForcePathStyle = S3.ForcePathStyle,
            PartSizeMegabytes = S3.PartSizeMegabytes,
        },
        CacheBytes = S3.CacheMegabytes * 1024L * 1024,
    };
}

public sealed class S3Options
{
    public string? ServiceUrl { get; set; }
    public string? AccessKey { get; set; }
    public string? SecretKey { get; set; }
    public string Region { get; set; } = "us-east-1";
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Objects larger than this many MiB are uploaded in parts of this size (5 to 5120).</summary>
    public int PartSizeMegabytes { get; set; } = 64;

    /// <summary>Local copies of lake files kept for queries, in MiB; the least recently used go first.</summary>
    public long CacheMegabytes { get; set; } = 10 * 1024;
}

/// <summary>Limits of <c>/data/ingest</c> and of its group commits.</summary>
public sealed class IngestOptions
{
    /// <summary>Largest request body, after gzip decompression; larger ones get 413.</summary>
    public long MaxBodyBytes { get; set; } = 256L * 1024 * 1024;

    public int MaxRecordsPerRequest { get; set; } = 1_000_000;

    /// <summary>Requests of one table that share a commit, at most.</summary>
    public int MaxBatchRequests { get; set; } = 1000;

    /// <summary>Rows that share a commit, at most (a single larger request still goes alone).</summary>
    public int MaxBatchRows { get; set; } = 500_000;

    /// <summary>
    /// While a table is busy (its last commit carried several requests), how long a commit waits for more requests
    /// before it starts: fewer, fuller commits and files. 0 turns it off; a lone writer never waits.
    /// </summary>
    public int LingerMilliseconds { get; set; } = 5;

    /// <summary>Requests with at least this many valid records are staged to Parquet on their own, in parallel; smaller ones together at commit.</summary>
    public int StageRows { get; set; } = 1000;

    /// <summary>A commit whose small requests hold at most this many rows keeps them in the catalog (data inlining); 0 turns inlining off.</summary>
    public int InlineRows { get; set; } = 1000;

    /// <summary>Rows this process inlined into a table that trigger a flush of the table's inlined rows to Parquet.</summary>
    public int FlushRows { get; set; } = 10_000;

    /// <summary>How often every table's inlined rows (whoever inlined them) are flushed to Parquet.</summary>
    public int FlushSeconds { get; set; } = 30;

    /// <summary>Requests of one table waiting for their commit, at most; more are refused with 503 and Retry-After.</summary>
    public int MaxQueuedRequests { get; set; } = 2000;

    /// <summary>Requests staged to Parquet at once (DuckDB work); 0 means one per core.</summary>
    public int MaxConcurrentStaging { get; set; }
}

/// <summary>Limits of <c>/data/query</c>.</summary>
public sealed class QueryOptions
{
    public int MaxRows { get; set; } = 10_000;

    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>DuckDB memory limit of one tenant's query session, e.g. <c>1GB</c>.</summary>
    public string MemoryLimit { get; set; } = "1GB";

    /// <summary>DuckDB threads per query session; 0 means one per core.</summary>
    public int Threads { get; set; }

    /// <summary>Query sessions (tenant × snapshot) kept open for reuse.</summary>
    public int CachedSessions { get; set; } = 16;

    /// <summary>
    /// How old this process's knowledge of the newest lake snapshot may be when a query asks for the latest: its own
    /// commits it sees at once, other replicas' and other writers' within this time. 0 asks the catalog every time.
    /// </summary>
    public int LatestSnapshotMilliseconds { get; set; } = 100;
}

/// <summary>Semantic retrieval: the embedding model and the vector search.</summary>
public sealed class RetrievalOptions
{
    /// <summary>Empty: the in-process all-MiniLM-L6-v2. Otherwise an OpenAI-compatible endpoint, e.g. <c>http://llm:8000/v1</c>.</summary>
    public string? EmbeddingEndpoint { get; set; }

    public string EmbeddingModel { get; set; } = "all-MiniLM-L6-v2";

    public string? EmbeddingApiKey { get; set; }

    /// <summary>Tenants with at most this many vectors are searched exactly; larger ones through the HNSW index.</summary>
    public int ExactSearchThreshold { get; set; } = 20_000;

    /// <summary>Rows embedded per indexer step.</summary>
    public int IndexerBatchSize { get; set; } = 64;

    public int IndexerIdleMilliseconds { get; set; } = 250;

    /// <summary>Run the background indexer in this process (turn off on replicas that only serve queries).</summary>
    public bool IndexerEnabled { get; set; } = true;

    /// <summary>Tries of one outbox entry before it is parked (shown in /data/retrieve/status) so the rest keep flowing.</summary>
    public int IndexerMaxAttempts { get; set; } = 5;

    /// <summary>How long a replica's claim on outbox entries lasts; entries of a replica that died are taken up after it.</summary>
    public int IndexerLeaseSeconds { get; set; } = 300;
}

/// <summary>API keys. Production mode always requires them; the embedded default runs without them, for loopback callers only.</summary>
public sealed class AuthOptions
{
    /// <summary>Unset: on in production mode, off in the embedded default.</summary>
    public bool? Enabled { get; set; }

    /// <summary>A management key with every scope, for creating the first real keys. At least 16 characters.</summary>
    public string? BootstrapKey { get; set; }

    /// <summary>Requests per second allowed per key (token bucket); 0 turns rate limiting off.</summary>
    public int PermitsPerSecond { get; set; }

    /// <summary>Requests a key may make at once above the steady rate.</summary>
    public int Burst { get; set; } = 100;
}

/// <summary>The background retention job.</summary>
public sealed class PolicyOptions
{
    /// <summary>How often retention runs for every tenant with a retention limit; 0 turns the background job off.</summary>
    public int RetentionIntervalMinutes { get; set; } = 60;
}

/// <summary>Scheduled maintenance: which steps run, how often, and their thresholds.</summary>
/// <summary>Point-in-time features (<c>/data/features</c>).</summary>
public sealed class FeaturesOptions
{
    /// <summary>How often every feature view's online values are refreshed from the lake (seconds); 0 turns it off.</summary>
    public int MaterializeSeconds { get; set; } = 30;

    /// <summary>The most rows one historical retrieval may ask for.</summary>
    public int MaxHistoricalRows { get; set; } = 100_000;
}

/// <summary>Raw files (video chunks, point clouds, checkpoints) stored through <c>/data/objects</c>.</summary>
public sealed class ObjectsOptions
{
    /// <summary>The largest object one PUT may store (bytes); default 5 GiB, S3's single-object upload limit through one request.</summary>
    public long MaxObjectBytes { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>How long a presigned upload URL stays valid (minutes); uploads not completed go with the orphans step after that.</summary>
    public int UploadUrlMinutes { get; set; } = 60;
}

public sealed class MaintenanceOptions
{
    /// <summary>How often the scheduled steps run (each replica tries; one runs a step at a time); 0 turns the schedule off.</summary>
    public int IntervalSeconds { get; set; } = 900;

    /// <summary>Steps the schedule runs, comma-separated, in this order (a string: a bound list would add to the default, not replace it).</summary>
    public string Steps { get; set; } = "flush,merge,expire,cleanup,orphans";

    public IReadOnlyList<string> StepList() => Steps.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Files below this size are merged, per table and partition, into files of about this size.</summary>
    public int MergeTargetMegabytes { get; set; } = 64;

    /// <summary>Lake snapshots older than this expire, except those a live world-model checkpoint pins.</summary>
    public int KeepSnapshotsHours { get; set; } = 168;

    /// <summary>How long a file no snapshot needs stays in storage before deletion: running queries and cached sessions finish first.</summary>
    public int CleanupGraceMinutes { get; set; } = 60;

    /// <summary>Objects no catalog row names are deleted once this old (younger ones may belong to a commit in flight).</summary>
    public int OrphanGraceHours { get; set; } = 24;

    /// <summary>How long a run stays in the maintenance log: each run recorded drops those logged before.</summary>
    public int KeepRunsDays { get; set; } = 30;
}
