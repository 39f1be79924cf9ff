using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Retrieval;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Maintenance;
using Auraison.DataPlane.Tenancy;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Policy;

/// <summary>
/// Applies a tenant's retention: deletes its rows ingested before the cut-off (whole files where a file holds only
/// such rows) and their vectors, forgets its deleted files from every lake snapshot (except what a world-model
/// checkpoint still within its tenant's retention pins) and deletes those objects. Other tenants' history stays
/// whole: the tenant's own time travel ends at the run instead (<see cref="RetentionFloors"/>).
/// </summary>
public sealed class RetentionJob(LakeAccessor lakes, PolicyStore policies, RetentionFloors floors, IVectorStore vectors, Objects.ObjectIndex objects,
    TimeProvider time)
{
    public sealed record TableReport(string Table, long Rows);

    public sealed record Report(string TenantId, bool DryRun, DateTimeOffset? Cutoff, IReadOnlyList<TableReport> Tables, long Vectors,
        IReadOnlyList<string> DeletedFiles);

    public async Task<Report> RunAsync(string tenant, bool dryRun, CancellationToken cancellationToken)
    {
        var policy = await policies.GetAsync(tenant, cancellationToken);
        if (policy.RetentionDays is not { } days) return new Report(tenant, dryRun, null, [], 0, []);
        var now = time.GetUtcNow();
        var cutoff = now.AddDays(-days);
        var lake = await lakes.GetAsync(cancellationToken);
        var predicate = $"{TenantData.RowFilter(tenant)} AND {Identifier(Lineage.IngestedAt)} < CAST({Literal(CatalogReader.Timestamp(cutoff))} AS TIMESTAMPTZ)";

        // Objects stored before the cut-off go with their registry rows: their bytes are deleted once those are.
        var expiredObjects = await objects.StoredBeforeAsync(tenant, cutoff, cancellationToken);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, cancellationToken, TenantData.Scope(tenant));
        List<TableReport> tables = [];
        foreach (var table in content.Tables.Where(t => content.Data[t.Id].RowCount > 0))
        {
            var rows = dryRun
                ? await CountAsync(lake, content, table, predicate, cancellationToken)
                : (await lake.DeleteWhereAsync(table, predicate, cancellationToken,
                    new CommitOptions { Author = "retention", Message = $"retention: before {cutoff:O}", ExtraInfo = TenantCommits.Of(tenant) },
                    TenantData.Scope(tenant))).Value;
            if (rows > 0) tables.Add(new TableReport(table.QualifiedName, rows));
        }

        var expiredRequests = await ExpiredRequestsAsync(lake, tenant, cutoff, cancellationToken);
        var removedVectors = dryRun ? 0 : await vectors.DeleteAsync(tenant, expiredRequests, cancellationToken);
        // The tenant's deleted files leave every snapshot but those live checkpoints pin: its deleted rows stay readable nowhere else.
        var pinned = await PinnedSnapshots.LiveAsync(lake, policies, now, cancellationToken);
        var forgotten = await lake.ForgetEndedAsync(Lineage.TenantId, tenant, pinned, dryRun, cancellationToken);
        var objectPaths = expiredObjects.Select(o => o.Path).ToList();
        if (dryRun) return new Report(tenant, dryRun, cutoff, tables, removedVectors, [.. forgotten.Files, .. objectPaths]);
        foreach (var path in objectPaths) await lake.Storage.DeleteAsync(path, cancellationToken);
        await floors.RecordAsync(lake, tenant, cutoff, now, cancellationToken);
        var cleanup = await lake.CleanupOldFilesAsync(now.AddMinutes(1), dryRun: false, cancellationToken);
        return new Report(tenant, dryRun, cutoff, tables, removedVectors, [.. cleanup.Files, .. objectPaths]);
    }

    private static async Task<List<Guid>> ExpiredRequestsAsync(Lakehouse lake, string tenant, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            "SELECT partition_id FROM dataplane_ingest_lineage WHERE tenant_id = $1 AND ingested_at < CAST($2 AS TIMESTAMP WITH TIME ZONE)",
            r => r.GetGuid(0), cancellationToken, tenant, CatalogReader.Timestamp(cutoff));
    }

    private static async Task<long> CountAsync(Lakehouse lake, Lake.Reading.SnapshotContent content, LakeTable table, string predicate,
        CancellationToken cancellationToken)
    {
        var local = await lake.Reader.LocalizeAsync(content with { Tables = [table], Data = new Dictionary<long, Lake.Reading.TableContent> { [table.Id] = content.Data[table.Id] } },
            cancellationToken);
        var scan = Lake.Reading.TableScanSql.Build(table, content.Data[table.Id], content.Snapshot.Id, path => local[path]);
        await using var work = lake.OpenWorkConnection();
        return await work.ScalarAsync<long>(null, $"SELECT count(*) FROM ({scan}) AS rows WHERE {predicate}", cancellationToken);
    }
}

/// <summary>Runs retention for every tenant with a retention limit, every <c>DataPlane:Policy:RetentionIntervalMinutes</c>.</summary>
public sealed class RetentionScheduler(RetentionJob job, PolicyStore policies, LakeAccessor lakes,
    Microsoft.Extensions.Options.IOptions<Configuration.DataPlaneOptions> options, ILogger<RetentionScheduler> logger) : PeriodicService(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(options.Value.Policy.RetentionIntervalMinutes);

    protected override string What => "Retention run";

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        foreach (var policy in (await policies.AllAsync(lake, cancellationToken)).Where(p => p.RetentionDays is not null))
        {
            var report = await job.RunAsync(policy.TenantId, dryRun: false, cancellationToken);
            logger.LogInformation("Retention of {Tenant}: {Rows} rows, {Files} files removed",
                policy.TenantId, report.Tables.Sum(t => t.Rows), report.DeletedFiles.Count);
        }
    }
}
