using System.Globalization;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;
using Microsoft.Extensions.Options;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Retrieval;

/// <summary>
/// Catches up with the embedding outbox in the background: for each ingest request of a retrievable table, renders
/// its rows' text, embeds them and stores the vectors, then removes the outbox entry. Vectors are keyed by row, so
/// a crash between storing and removing only repeats work that changes nothing; nothing is lost or stored twice.
/// Entries are claimed (<see cref="EmbeddingOutbox"/>), so replicas share the work; one that fails is retried later
/// on its own and parked after a few tries.
/// </summary>
public sealed class EmbeddingIndexer(LakeAccessor lakes, QuerySessions sessions, RetrievalService retrieval, EmbeddingOutbox outbox,
    IOptions<DataPlaneOptions> options, ILogger<EmbeddingIndexer> logger, Telemetry.DataPlaneMetrics metrics, TimeProvider time) : BackgroundService
{
    private long _embedded;

    /// <summary>Rows this process has embedded and stored since it started.</summary>
    public long EmbeddedRows => Interlocked.Read(ref _embedded);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromMilliseconds(options.Value.Retrieval.IndexerIdleMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunOnceAsync(stoppingToken) == 0) await Task.Delay(idle, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Embedding indexer step failed; retrying");
                await Task.Delay(idle * 4, stoppingToken);
            }
        }
    }

    /// <summary>Indexes a batch of claimed outbox entries, each on its own; returns how many were claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var entries = await outbox.ClaimAsync(lake, 8, cancellationToken);
        if (entries.Count == 0) return 0;
        var sources = (await RetrievalSources.ListAsync(lake, cancellationToken)).ToDictionary(s => s.Table, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            try
            {
                if (sources.TryGetValue(entry.Table, out var source)) await IndexAsync(entry, source, cancellationToken);
                await outbox.CompleteAsync(lake, entry, cancellationToken);
                metrics.Indexed(entry.PartitionId, time.GetUtcNow());
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Indexing {Table} request {PartitionId} of {Tenant} failed (try {Attempt})", entry.Table, entry.PartitionId,
                    entry.TenantId, entry.Attempts);
                await outbox.FailAsync(lake, entry, e, cancellationToken);
            }
        }
        return entries.Count;
    }

    internal async Task IndexAsync(EmbeddingOutbox.Entry entry, RetrievalSource source, CancellationToken cancellationToken)
    {
        Identifiers.TryParseTable(entry.Table, out var table, out _, allowReservedSchema: true);
        if (await RowsOfAsync(entry, table, cancellationToken) is not { } rows) return;
        foreach (var chunk in rows.Chunk(Math.Max(1, options.Value.Retrieval.IndexerBatchSize)))
        {
            var texts = chunk.Select(source.Render).ToList();
            var embeddings = await retrieval.EmbedAsync(texts, cancellationToken);
            await retrieval.StoreAsync(chunk.Select((row, i) => Document(entry, source, row, texts[i], embeddings[i])).ToList(), cancellationToken);
            Interlocked.Add(ref _embedded, chunk.Length);
        }
    }

    /// <summary>The rows of the entry's request, in order; null when the table is gone for its tenant.</summary>
    private async Task<List<Dictionary<string, object?>>?> RowsOfAsync(EmbeddingOutbox.Entry entry, TableName table, CancellationToken cancellationToken)
    {
        // The newest snapshot, but no older than the entry's commit (another replica's, perhaps a moment ago).
        using var held = await sessions.ForServiceAsync(entry.TenantId, new HashSet<TableName> { table }, cancellationToken, newerThan: entry.LakeSnapshotId - 1);
        if (!held.Session.Tables.Contains(table)) return null;
        return await QueryRunner.RunTrustedAsync(held.Session,
            $"SELECT * FROM {Qualified(table.Schema, table.Name)} WHERE {Identifier(Lineage.PartitionId)} = CAST($1 AS UUID) ORDER BY {Identifier(Lineage.RecordIndex)}",
            cancellationToken, entry.PartitionId.ToString());
    }

    private static VectorDocument Document(EmbeddingOutbox.Entry entry, RetrievalSource source, Dictionary<string, object?> row, string text, float[] embedding)
    {
        var record = Convert.ToInt64(row[Lineage.RecordIndex], CultureInfo.InvariantCulture);
        return new VectorDocument(VectorDocument.IdOf(entry.Table, entry.PartitionId, record), entry.TenantId, entry.Table, entry.PartitionId,
            record, text, source.MetadataFields.Where(row.ContainsKey).ToDictionary(f => f, f => row[f]),
            source.TimeField is not null && row.GetValueOrDefault(source.TimeField) is string time
                ? DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                : null,
            embedding);
    }
}
