using System.Text.Json;
using System.Threading.Channels;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Objects;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Datasets;

public sealed record DatasetFile(string Path, long Size, long Rows);

/// <summary>A file an export wrote, relative to the dataset's directory, with its rows (1 for a JSON document).</summary>
public sealed record WrittenFile(string RelativePath, long Rows);

public sealed record DatasetStatus(string DatasetId, string Name, string Version, string Format, string Status, double Progress, long LakeSnapshotId,
    string Location, IReadOnlyList<DatasetFile> Files, string? Error);

/// <summary>
/// Dataset exports, run one at a time in the background: pinned to the lake snapshot of the source table's last change, written
/// by DuckDB to local files, stored as the tenant's objects under <c>datasets/{name}/{version}/</c> and recorded in
/// <c>datasets.registry</c>. The same request at the same snapshot is the same dataset (id, version, bytes). Status
/// and progress are rows of <c>dataplane_datasets</c>, so every replica answers for them.
/// </summary>
public sealed class DatasetExports(LakeAccessor lakes, PolicyStore policies, QuerySessions sessions, ObjectWriter objects, ObjectIndex objectIndex,
    IngestService ingest, TimeProvider clock, ILogger<DatasetExports> logger) : BackgroundService
{
    public static readonly TableName Registry = new("datasets", "registry");

    private sealed record Job(string Id, DatasetPlan Plan, IReadOnlySet<TableName>? Tables, string Request, long Snapshot, string Version, string Caller);

    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>();

    /// <summary>Starts the export (or finds it running or done); false when it had been started before.</summary>
    /// <exception cref="DatasetException">A source table has no rows of the tenant or is not allowed to it (422), or the query is refused.</exception>
    public async Task<(DatasetStatus Status, bool Started)> StartAsync(DatasetPlan plan, string request, string caller, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var tables = await SourceTablesAsync(plan, cancellationToken);
        var snapshot = await PinAsync(lake, plan.Tenant, tables, cancellationToken);
        var fingerprint = plan.Fingerprint(snapshot, request);
        var id = new Guid(Convert.FromHexString(fingerprint[..32])).ToString();
        if (await FindAsync(plan.Tenant, id, cancellationToken) is { Status: not "failed" } known && !await AbandonedAsync(lake, id, cancellationToken))
            return (known, false);
        var version = $"s{snapshot}-{fingerprint[..8]}";
        var location = $"datasets/{plan.Name}/{version}/";
        await using (var connection = await lake.Catalog.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(null, "DELETE FROM dataplane_datasets WHERE dataset_id = $1", cancellationToken, id);
            await connection.ExecuteAsync(null,
                "INSERT INTO dataplane_datasets VALUES ($1, $2, $3, $4, $5, $6, 'running', 0, $7, $8, NULL, NULL, CAST($9 AS TIMESTAMP WITH TIME ZONE), NULL, " +
                "CAST($9 AS TIMESTAMP WITH TIME ZONE))",
                cancellationToken, id, plan.Tenant, plan.Name, version, plan.Format, request, snapshot, location, CatalogReader.Timestamp(clock.GetUtcNow()));
        }
        _queue.Writer.TryWrite(new Job(id, plan, tables, request, snapshot, version, caller));
        return (new DatasetStatus(id, plan.Name, version, plan.Format, "running", 0, snapshot, location, [], null), true);
    }

    /// <summary>
    /// Whether a running export has shown no sign of life for <see cref="Abandoned"/>: the replica running it stopped
    /// (every step of a live export updates its heartbeat), so asking again starts it over.
    /// </summary>
    private async Task<bool> AbandonedAsync(Lake.Lakehouse lake, string id, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.ScalarAsync<long>(null,
            "SELECT count(*) FROM dataplane_datasets WHERE dataset_id = $1 AND status = 'running' AND heartbeat_at < CAST($2 AS TIMESTAMP WITH TIME ZONE)",
            cancellationToken, id, CatalogReader.Timestamp(clock.GetUtcNow() - Abandoned)) > 0;
    }

    private static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(15);

    /// <summary>The tables the dataset reads: the episodic source's, or those its query names (null: it cannot be told, all of them).</summary>
    private async Task<IReadOnlySet<TableName>?> SourceTablesAsync(DatasetPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Episodes is { } episodes) return new HashSet<TableName> { episodes.Table };
        var parsed = await sessions.ParseAsync(plan.Sql!, cancellationToken);
        // What the query calls is checked now; which tables it may read, once the tenant's views exist.
        var named = parsed.TablesNamed ?? new HashSet<TableName>();
        return SqlGuard.Check(parsed, named, new HashSet<TableName>()) is { } refused
            ? throw new DatasetException($"source.sql is refused: {refused.Reason}", refused.Status)
            : parsed.TablesNamed;
    }

    /// <summary>
    /// The snapshot of the source tables' last change for the tenant: their rows are the same at every later snapshot,
    /// so asking again (after the export's own commits, or other tables') finds the same dataset.
    /// </summary>
    private async Task<long> PinAsync(Lake.Lakehouse lake, string tenant, IReadOnlySet<TableName>? tables, CancellationToken cancellationToken)
    {
        if (tables is null) return (await lake.LatestAsync(TimeSpan.Zero, cancellationToken)).Id;
        var policy = await policies.GetAsync(tenant, cancellationToken);
        var described = (await Tables.TablesApi.DescribeAsync(lake, tenant, tables.Contains, cancellationToken))
            .ToDictionary(t => t.Name, t => t.LastChange?.LakeSnapshotId);
        foreach (var table in tables.Where(t => !policy.Allows(t) || described.GetValueOrDefault(t.ToString()) is null))
            throw new DatasetException($"Table {table} has no rows of tenant {tenant}, or its policy does not allow it.");
        return described.Values.Max() ?? 0;
    }

    public async Task<DatasetStatus?> FindAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return (await connection.QueryAsync(null,
            """
            SELECT dataset_id, name, version, format, status, progress, lake_snapshot_id, location, files, error
            FROM dataplane_datasets WHERE tenant_id = $1 AND dataset_id = $2
            """,
            r => new DatasetStatus(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDouble(5), r.GetInt64(6),
                r.GetString(7), r.IsDBNull(8) ? [] : JsonSerializer.Deserialize<List<DatasetFile>>(r.GetString(8))!, r.IsDBNull(9) ? null : r.GetString(9)),
            cancellationToken, tenant, id)).SingleOrDefault();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            var directory = Path.Combine((await lakes.GetAsync(stoppingToken)).Settings.WorkDirectory, "exports", job.Id);
            try
            {
                var files = await ExportAsync(job, directory, stoppingToken);
                await UpdateAsync(job.Id, "status = 'succeeded', progress = 1, files = $2, finished_at = CAST($3 AS TIMESTAMP WITH TIME ZONE)", stoppingToken,
                    JsonSerializer.Serialize(files), CatalogReader.Timestamp(clock.GetUtcNow()));
                logger.LogInformation("Dataset {Name} {Version} of {Tenant}: {Files} files", job.Plan.Name, job.Version, job.Plan.Tenant, files.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Dataset {Name} of {Tenant} failed", job.Plan.Name, job.Plan.Tenant);
                await UpdateAsync(job.Id, "status = 'failed', error = $2, finished_at = CAST($3 AS TIMESTAMP WITH TIME ZONE)", CancellationToken.None,
                    e is DuckDBException or IngestRejectedException or DatasetException ? e.Message : "The export failed; the service log has the cause.",
                    CatalogReader.Timestamp(clock.GetUtcNow()));
            }
            finally
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
        }
    }

    private async Task<List<DatasetFile>> ExportAsync(Job job, string directory, CancellationToken cancellationToken)
    {
        var (plan, lake) = (job.Plan, await lakes.GetAsync(cancellationToken));
        await using var duck = new DuckDBConnection("Data Source=:memory:");
        await duck.OpenAsync(cancellationToken);
        await duck.ExecuteAsync(null, "SET TimeZone = 'UTC'; SET threads = 1; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false",
            cancellationToken);
        var policy = await policies.GetAsync(plan.Tenant, cancellationToken);
        var shown = await TenantViews.CreateAsync(lake, duck, plan.Tenant, job.Snapshot, policy.Allows, job.Tables, cancellationToken);
        if (job.Tables?.Where(t => !shown.Tables.Contains(t)).Select(t => (TableName?)t).FirstOrDefault() is { } missing)
            throw new DatasetException($"Table {missing} does not exist for tenant {plan.Tenant} at lake snapshot {job.Snapshot}, or its policy does not allow it.");
        // As in a query session: the export reads the tenant's files alone and writes into its own directory alone.
        Directory.CreateDirectory(directory);
        await SessionSandbox.LockAsync(duck, shown.Directories, shown.Views.Paths.Values, cancellationToken, writableDirectory: directory);
        List<WrittenFile> written;
        if (plan.Episodes is { } episodes)
            written = await LeRobotWriter.WriteAsync(duck, episodes, directory, p => UpdateAsync(job.Id, "progress = $2", cancellationToken, p),
                (key, target) => CopyObjectAsync(plan.Tenant, key, target, cancellationToken), cancellationToken);
        else
        {
            if (SqlGuard.Check(await sessions.ParseAsync(plan.Sql!, cancellationToken), shown.Tables, shown.Forbidden) is { } refused)
                throw new DatasetException($"source.sql is refused: {refused.Reason}", refused.Status);
            written = await ParquetManifestWriter.WriteAsync(duck, plan, job.Snapshot, directory, cancellationToken);
        }

        List<DatasetFile> files = [];
        var location = $"datasets/{plan.Name}/{job.Version}/";
        foreach (var (i, file) in written.Index())
        {
            var key = location + file.RelativePath;
            var path = $"{lake.RawObjectsPath}{plan.Tenant}/{key}";
            await lake.Storage.UploadAsync(Path.Combine(directory, file.RelativePath), path, cancellationToken);
            var put = new ObjectPut(plan.Tenant, key, ContentTypeOf(file.RelativePath),
                null, new Dictionary<string, string> { ["dataset_id"] = job.Id }, JobOf(job), job.Caller);
            var stored = await objects.RecordUploadedAsync(put, path, null, cancellationToken);
            files.Add(new DatasetFile(key, stored.Object.SizeBytes, file.Rows));
            await UpdateAsync(job.Id, "progress = $2", cancellationToken, 0.7 + 0.25 * (i + 1) / written.Count);
        }
        List<string> jobs = [];
        foreach (var table in job.Tables ?? shown.Tables)
            jobs.AddRange(await duck.QueryAsync(null, $"SELECT DISTINCT {Identifier(Lineage.JobId)} FROM {Qualified(table.Schema, table.Name)} LIMIT 1000",
                r => r.NullableString(0) ?? "", cancellationToken));
        await RecordAsync(job, files, [.. (job.Tables ?? shown.Tables).Select(t => t.ToString()).Order(StringComparer.Ordinal)],
            [.. jobs.Distinct().Order(StringComparer.Ordinal)], cancellationToken);
        return files;
    }

    /// <summary>Copies one of the tenant's objects (a video chunk its rows name) into the export; a key it does not have fails the export.</summary>
    private async Task CopyObjectAsync(string tenant, string key, string target, CancellationToken cancellationToken)
    {
        if (await objectIndex.FindAsync(tenant, key, cancellationToken) is not { } stored)
            throw new DatasetException($"Video chunk {key} is not an object of tenant {tenant}.");
        File.Copy(await (await lakes.GetAsync(cancellationToken)).Storage.GetLocalPathAsync(stored.Path, cancellationToken), target, overwrite: true);
    }

    /// <summary>The dataset's row of <c>datasets.registry</c>, through the ingest path (a retry of the same export replays it).</summary>
    private async Task RecordAsync(Job job, List<DatasetFile> files, List<string> tables, List<string> jobs, CancellationToken cancellationToken)
    {
        using var records = RequestSpool.Of([(0, writer => JsonSerializer.Serialize(writer, new Dictionary<string, object?>
        {
            ["dataset_id"] = job.Id, ["name"] = job.Plan.Name, ["version"] = job.Version, ["format"] = job.Plan.Format,
            ["lake_snapshot_id"] = job.Snapshot, ["location"] = $"datasets/{job.Plan.Name}/{job.Version}/", ["source_tables"] = tables,
            ["source_jobs"] = jobs, ["files"] = files.Select(f => new { path = f.Path, size = f.Size, rows = f.Rows }), ["request"] = JsonDocument.Parse(job.Request).RootElement,
            ["created_at"] = clock.GetUtcNow(),
        }))], ingest.SpoolDirectory);
        await ingest.IngestAsync(new IngestCommand(Registry, job.Plan.Tenant, JobOf(job), "dataset/1", records, OnError.Reject, JobOf(job), job.Id, job.Caller),
            cancellationToken);
    }

    private static string JobOf(Job job) => $"dataset:{job.Id}";

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".json" => "application/json",
        ".mp4" => "video/mp4",
        _ => "application/vnd.apache.parquet",
    };

    private async Task UpdateAsync(string id, string set, CancellationToken cancellationToken, params object?[] values)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null,
            $"UPDATE dataplane_datasets SET {set}, heartbeat_at = CAST(${values.Length + 2} AS TIMESTAMP WITH TIME ZONE) WHERE dataset_id = $1",
            cancellationToken, [id, .. values, CatalogReader.Timestamp(clock.GetUtcNow())]);
    }
}

/// <summary>An export that cannot run as asked (a table is gone or not allowed, the query is refused), with the status to answer.</summary>
public sealed class DatasetException(string message, int status = StatusCodes.Status422UnprocessableEntity) : Exception(message)
{
    public int Status { get; } = status;
}
