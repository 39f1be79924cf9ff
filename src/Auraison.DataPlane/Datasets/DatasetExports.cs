using System.Text.Json;
using System.Threading.Channels;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Objects;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Datasets;

public sealed record DatasetFile(string Path, long Size, long Rows);

public sealed record DatasetStatus(string DatasetId, string Name, string Version, string Format, string Status, double Progress, long LakeSnapshotId,
    string Location, IReadOnlyList<DatasetFile> Files, string? Error);

/// <summary>
/// Dataset exports, run one at a time in the background: pinned to the lake snapshot of the source table's last change, written
/// by DuckDB to local files, stored as the tenant's objects under <c>datasets/{name}/{version}/</c> and recorded in
/// <c>datasets.registry</c>. The same request at the same snapshot is the same dataset (id, version, bytes). Status
/// and progress are rows of <c>dataplane_datasets</c>, so every replica answers for them.
/// </summary>
public sealed class DatasetExports(LakeAccessor lakes, PolicyStore policies, ObjectWriter objects, IngestService ingest, TimeProvider clock,
    ILogger<DatasetExports> logger) : BackgroundService
{
    public static readonly TableName Registry = new("datasets", "registry");

    private sealed record Job(string Id, DatasetPlan Plan, string Request, long Snapshot, string Version, string Caller);

    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>();

    /// <summary>Starts the export (or finds it running or done); false when it had been started before.</summary>
    /// <exception cref="DatasetException">The source table has no rows of the tenant or is not allowed to it.</exception>
    public async Task<(DatasetStatus Status, bool Started)> StartAsync(DatasetPlan plan, string request, string caller, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var policy = await policies.GetAsync(plan.Tenant, cancellationToken);
        // Pinned to the table's last change for the tenant: its rows are the same at every later snapshot, so asking
        // again (after the export's own commits, or other tables') finds the same dataset.
        if (!policy.Allows(plan.Table)
            || (await Tables.TablesApi.DescribeAsync(lake, plan.Tenant, t => t == plan.Table, cancellationToken)).SingleOrDefault()?.LastChange is not { } changed)
            throw new DatasetException($"Table {plan.Table} has no rows of tenant {plan.Tenant}, or its policy does not allow it.");
        var snapshot = changed.LakeSnapshotId;
        var fingerprint = plan.Fingerprint(snapshot, request);
        var id = new Guid(Convert.FromHexString(fingerprint[..32])).ToString();
        if (await FindAsync(plan.Tenant, id, cancellationToken) is { Status: not "failed" } known) return (known, false);
        var version = $"s{snapshot}-{fingerprint[..8]}";
        var location = $"datasets/{plan.Name}/{version}/";
        await using (var connection = await lake.Catalog.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(null, "DELETE FROM dataplane_datasets WHERE dataset_id = $1", cancellationToken, id);
            await connection.ExecuteAsync(null,
                "INSERT INTO dataplane_datasets VALUES ($1, $2, $3, $4, $5, $6, 'running', 0, $7, $8, NULL, NULL, CAST($9 AS TIMESTAMP WITH TIME ZONE), NULL)",
                cancellationToken, id, plan.Tenant, plan.Name, version, DatasetPlan.LeRobot, request, snapshot, location, CatalogReader.Timestamp(clock.GetUtcNow()));
        }
        _queue.Writer.TryWrite(new Job(id, plan, request, snapshot, version, caller));
        return ((await FindAsync(plan.Tenant, id, cancellationToken))!, true);
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
        await ExecuteAsync(duck, "SET TimeZone = 'UTC'; SET threads = 1; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false",
            cancellationToken);
        var policy = await policies.GetAsync(plan.Tenant, cancellationToken);
        var shown = await TenantViews.CreateAsync(lake, duck, plan.Tenant, job.Snapshot, policy.Allows, new HashSet<TableName> { plan.Table }, cancellationToken);
        if (!shown.Tables.Contains(plan.Table))
            throw new DatasetException($"Table {plan.Table} does not exist for tenant {plan.Tenant} at lake snapshot {job.Snapshot}, or its policy does not allow it.");
        var written = await LeRobotWriter.WriteAsync(duck, plan, directory, p => UpdateAsync(job.Id, "progress = $2", cancellationToken, p), cancellationToken);

        List<DatasetFile> files = [];
        var location = $"datasets/{plan.Name}/{job.Version}/";
        foreach (var (i, file) in written.Index())
        {
            var key = location + file.RelativePath;
            var path = $"{lake.RawObjectsPath}{plan.Tenant}/{key}";
            await lake.Storage.UploadAsync(Path.Combine(directory, file.RelativePath), path, cancellationToken);
            var put = new ObjectPut(plan.Tenant, key, file.RelativePath.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/vnd.apache.parquet",
                null, new Dictionary<string, string> { ["dataset_id"] = job.Id }, JobOf(job), job.Caller);
            var stored = await objects.RecordUploadedAsync(put, path, null, cancellationToken);
            files.Add(new DatasetFile(key, stored.Object.SizeBytes, file.Rows));
            await UpdateAsync(job.Id, "progress = $2", cancellationToken, 0.7 + 0.25 * (i + 1) / written.Count);
        }
        var jobs = await ListAsync(duck, $"SELECT DISTINCT CAST({Identifier(Lineage.JobId)} AS VARCHAR) FROM {Qualified(plan.Table.Schema, plan.Table.Name)} ORDER BY 1 LIMIT 1000",
            cancellationToken);
        await RecordAsync(job, files, jobs, cancellationToken);
        return files;
    }

    /// <summary>The dataset's row of <c>datasets.registry</c>, through the ingest path (a retry of the same export replays it).</summary>
    private async Task RecordAsync(Job job, List<DatasetFile> files, List<string> jobs, CancellationToken cancellationToken)
    {
        using var records = RequestSpool.Of([(0, writer => JsonSerializer.Serialize(writer, new Dictionary<string, object?>
        {
            ["dataset_id"] = job.Id, ["name"] = job.Plan.Name, ["version"] = job.Version, ["format"] = DatasetPlan.LeRobot,
            ["lake_snapshot_id"] = job.Snapshot, ["location"] = $"datasets/{job.Plan.Name}/{job.Version}/", ["source_tables"] = new[] { job.Plan.Table.ToString() },
            ["source_jobs"] = jobs, ["files"] = files.Select(f => new { path = f.Path, size = f.Size, rows = f.Rows }), ["request"] = JsonDocument.Parse(job.Request).RootElement,
            ["created_at"] = clock.GetUtcNow(),
        }))], ingest.SpoolDirectory);
        await ingest.IngestAsync(new IngestCommand(Registry, job.Plan.Tenant, JobOf(job), "dataset/1", records, OnError.Reject, JobOf(job), job.Id, job.Caller),
            cancellationToken);
    }

    private static string JobOf(Job job) => $"dataset:{job.Id}";

    private async Task UpdateAsync(string id, string set, CancellationToken cancellationToken, params object?[] values)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, $"UPDATE dataplane_datasets SET {set} WHERE dataset_id = $1", cancellationToken, [id, .. values]);
    }

    private static async Task ExecuteAsync(DuckDBConnection duck, string sql, CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<string>> ListAsync(DuckDBConnection duck, string sql, CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<string> values = [];
        while (await reader.ReadAsync(cancellationToken)) values.Add(reader.IsDBNull(0) ? "" : reader.GetString(0));
        return values;
    }
}

/// <summary>An export that cannot run as asked (its table is gone or not allowed).</summary>
public sealed class DatasetException(string message) : Exception(message);
