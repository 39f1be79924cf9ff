using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Maintenance;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tables;
using Auraison.DataPlane.Tenancy;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// Commits a batch of prepared requests for one table as one snapshot: the large requests' files, the small ones'
/// rows (kept in the catalog when the batch is small, else staged to one file per tenant partition), quarantined
/// records, and each request's lineage, outbox and idempotency rows. When the shared commit fails for a reason that
/// belongs to one request (a value only DuckDB refuses, a quota, a reused key), each request is committed alone,
/// so only that one fails.
/// </summary>
public sealed class IngestCommitter(IngestPreparer preparer, TableSchemas schemas, StorageQuota quota, InlineFlusher flusher, IOptions<HttpJsonOptions> json,
    IOptions<DataPlaneOptions> options, ILogger<IngestCommitter> logger, Telemetry.DataPlaneMetrics metrics)
{
    public async Task CommitAsync(Lakehouse lake, TableName name, IReadOnlyList<IngestQueue.Pending> batch, CancellationToken cancellationToken)
    {
        // One span per group commit, linked to the trace of every request in it; the engine's upload and commit spans nest under it.
        using var span = Telemetry.DataPlaneMetrics.Source.StartActivity("ingest.commit", System.Diagnostics.ActivityKind.Internal, parentContext: default,
            tags: [new("dataplane.table", name.ToString()), new("dataplane.requests", batch.Count)],
            links: batch.Where(p => p.Caller is not null).Select(p => new System.Diagnostics.ActivityLink(p.Caller!.Value)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await CommitBatchAsync(lake, name, batch, cancellationToken);
        metrics.GroupCommitted(name.ToString(), batch.Count, clock.Elapsed);
    }

    private async Task CommitBatchAsync(Lakehouse lake, TableName name, IReadOnlyList<IngestQueue.Pending> batch, CancellationToken cancellationToken)
    {
        try
        {
            await CommitTogetherAsync(lake, name, batch, cancellationToken);
            return;
        }
        catch (Exception e) when (batch.Count > 1 && !Faults.IsOutage(e))
        {
            logger.LogInformation("A commit of {Count} requests into {Table} failed ({Reason}); committing them one by one", batch.Count, name, e.Message);
        }
        catch (Exception e)
        {
            Fail(batch, e);
            return;
        }
        foreach (var pending in batch)
        {
            try
            {
                await CommitTogetherAsync(lake, name, [pending], cancellationToken);
            }
            catch (Exception e)
            {
                Fail([pending], e);
            }
        }
    }

    private async Task CommitTogetherAsync(Lakehouse lake, TableName name, IReadOnlyList<IngestQueue.Pending> batch, CancellationToken cancellationToken)
    {
        var requests = batch.Select(p => p.Request).ToList();
        var current = (await schemas.FindAsync(lake, name, cancellationToken)).Table ?? requests[0].Table;
        var small = requests.Where(r => r.Rows is not null).ToList();
        // The small requests' rows are read from one file per tenant (each tenant's fields go to its own columns):
        // the request's own, or one combining that tenant's requests.
        var byTenant = small.GroupBy(r => r.Command.TenantId).Select(g => g.ToList()).ToList();
        using var spools = new SpoolSet();
        var sources = byTenant.Select(group => SpoolSource.For(current,
            group.Count > 1 ? spools.Add(RequestSpool.Combine([.. group.Select(r => r.Rows!)], lake.StagingDirectory)) : group[0].Rows!,
            [.. group.Select(r => r.Command)])).ToList();
        var source = sources.Count == 0 ? null : string.Join("\nUNION ALL BY NAME\n", sources);
        InlinedRows? inlined = null;
        IReadOnlyList<StagedFile> staged = [];
        try
        {
            var limits = options.Value.Ingest;
            if (source is not null && small.Sum(r => r.RowCount) <= limits.InlineRows && InlineOperations.CanInline(current))
            {
                await quota.RequireAsync(lake, small.Select(r => (r.Command.TenantId, r.Rows!.Bytes)), cancellationToken);
                await using var work = lake.OpenWorkConnection();
                inlined = await InlinedRows.ReadAsync(work, current, source, lake.StagingDirectory, cancellationToken);
            }
            else if (source is not null)
            {
                staged = await preparer.StageAsync(lake, current, source, small.Count == 1 ? SpoolSource.Constants(small[0].Command) : null, cancellationToken);
            }

            var committed = await lake.CommitAsync(async (commit, token) =>
            {
                // Requests planned on the same layout of the table share one append.
                foreach (var layout in requests.Where(r => r.Files.Count > 0).GroupBy(r => r.Table.AllColumns.Count()))
                    await commit.AppendFilesAsync(layout.First().Table, [.. layout.SelectMany(r => r.Files)], token);
                if (staged.Count > 0) await commit.AppendFilesAsync(current, staged, token);
                if (inlined is not null) await commit.AppendInlinedAsync(current, inlined, token);
                foreach (var quarantine in requests.Where(r => r.Quarantine is not null).GroupBy(r => r.Quarantine!.Id))
                    await commit.AppendFilesAsync(quarantine.First().Quarantine!, [.. quarantine.SelectMany(r => r.QuarantineFiles)], token);
                // Lineage, outbox and idempotency rows of every request go to the catalog in one round trip.
                foreach (var request in requests) RecordLineage(commit, request, name, FilesOf(request, staged));
                return 0;
            }, cancellationToken, new CommitOptions
            {
                Author = "auraison-dataplane", Message = $"ingest {name}", ExtraInfo = TenantCommits.Of(requests.Select(r => r.Command.TenantId)),
            });

            foreach (var pending in batch)
            {
                pending.Request.Committed = true;
                pending.Reply.TrySetResult(ReplyFor(pending.Request, name, committed.SnapshotId));
            }
            if (inlined is not null) flusher.Inlined(lake, current, inlined.Values.Count);
        }
        catch
        {
            await lake.DeleteUploadedAsync(current, staged, CancellationToken.None);
            throw;
        }
        finally
        {
            foreach (var file in staged) File.Delete(file.LocalPath);
        }
    }

    private static IReadOnlyList<string> FilesOf(PreparedIngest request, IReadOnlyList<StagedFile> shared) =>
        (request.Rows is null ? request.Files : shared.Where(f => StorageQuota.TenantOf(f) == request.Command.TenantId))
        .Select(f => f.RelativePath).ToList();

    /// <summary>Answers each request of a failed commit with what the failure means for its caller.</summary>
    private static void Fail(IEnumerable<IngestQueue.Pending> batch, Exception failure)
    {
        var answer = failure switch
        {
            IngestRejectedException => failure,
            LakeConflictException conflict => new IngestRejectedException(StatusCodes.Status409Conflict, "Concurrent change", conflict.Message),
            _ when Faults.IsDuplicateIdempotencyKey(failure) => new DuplicateIdempotencyKeyException(failure),
            _ when Faults.IsOutage(failure) => IngestRejectedException.Unavailable($"A store the commit needs did not answer ({failure.Message}); retry."),
            DuckDB.NET.Data.DuckDBException duck when Faults.IsValueRefused(duck) => new IngestRejectedException(StatusCodes.Status422UnprocessableEntity,
                "Records do not fit the table", $"A value of this request could not be stored: {duck.Message}"),
            _ => failure,
        };
        foreach (var pending in batch) pending.Reply.TrySetException(answer);
    }

    private void RecordLineage(CatalogCommit commit, PreparedIngest request, TableName name, IReadOnlyList<string> files)
    {
        var command = request.Command;
        commit.ExecuteLater(
            "INSERT INTO dataplane_ingest_lineage VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS TIMESTAMP WITH TIME ZONE))",
            command.PartitionId, command.TenantId, name.ToString(), command.JobId, command.SchemaVersion,
            (long)request.RowCount, (long)request.Plan.Errors.Count, commit.SnapshotId, JsonSerializer.Serialize(files, json.Value.SerializerOptions),
            command.Caller, CatalogReader.Timestamp(command.ReceivedAt));
        // Rows of retrievable tables wait in the outbox, in this same commit, until the indexer has embedded them.
        commit.ExecuteLater(
            """
            INSERT INTO dataplane_embedding_outbox (partition_id, tenant_id, table_name, lake_snapshot_id, enqueued_at)
            SELECT $1, $2, $3, $4, CAST($5 AS TIMESTAMP WITH TIME ZONE)
            WHERE EXISTS (SELECT 1 FROM dataplane_retrieval_sources WHERE table_name = $3)
            """, command.PartitionId, command.TenantId, name.ToString(), commit.SnapshotId, CatalogReader.Timestamp(command.ReceivedAt));
        if (command.IdempotencyKey is null) return;
        // The primary key makes a concurrent duplicate (another replica) lose this commit instead of storing its rows twice.
        commit.ExecuteLater("INSERT INTO dataplane_idempotency VALUES ($1, $2, $3, $4, CAST($5 AS TIMESTAMP WITH TIME ZONE))",
            command.TenantId, command.IdempotencyKey, command.RequestHash,
            JsonSerializer.Serialize(ReplyFor(request, name, commit.SnapshotId), json.Value.SerializerOptions), CatalogReader.Timestamp(command.ReceivedAt));
    }

    private static IngestReply ReplyFor(PreparedIngest request, TableName name, long snapshotId) =>
        new(request.Command.PartitionId, request.RowCount, name.ToString(), snapshotId)
        {
            QuarantinedCount = request.Command.Mode == OnError.Quarantine ? request.Plan.Errors.Count : null,
        };
}

/// <summary>Combined spools a commit made, deleted with it.</summary>
internal sealed class SpoolSet : IDisposable
{
    private readonly List<RequestSpool> _spools = [];

    public RequestSpool Add(RequestSpool spool)
    {
        _spools.Add(spool);
        return spool;
    }

    public void Dispose()
    {
        foreach (var spool in _spools) spool.Dispose();
    }
}

/// <summary>The commit lost to another request with the same Idempotency-Key (sent to another replica at the same time).</summary>
public sealed class DuplicateIdempotencyKeyException(Exception inner) : Exception("Another request with this Idempotency-Key committed first.", inner);
