using System.Globalization;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;
using Microsoft.Extensions.Options;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Retrieval;

/// <summary>
/// Catches up with the embedding outbox in the background: for each ingest request of a retrievable table, renders
/// its rows' text, embeds them and stores the vectors, then removes the outbox entry. Vectors are keyed by row, so
/// a crash between storing and removing only repeats work that changes nothing; nothing is lost or stored twice.
/// </summary>
public sealed class EmbeddingIndexer(LakeAccessor lakes, QuerySessions sessions, RetrievalService retrieval,
    IOptions<DataPlaneOptions> options, ILogger<EmbeddingIndexer> logger) : BackgroundService
{
    public sealed record OutboxEntry(Guid PartitionId, string TenantId, string Table);

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

    /// <summary>Indexes a batch of outbox entries; returns how many were done.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var entries = await PendingAsync(lake, 8, cancellationToken);
        if (entries.Count == 0) return 0;
        var sources = (await RetrievalSources.ListAsync(lake, cancellationToken)).ToDictionary(s => s.Table, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (sources.TryGetValue(entry.Table, out var source))
                await IndexAsync(entry, source, cancellationToken);
            await CompleteAsync(lake, entry, cancellationToken);
        }
        return entries.Count;
    }

    internal async Task IndexAsync(OutboxEntry entry, RetrievalSource source, CancellationToken cancellationToken)
    {
        Identifiers.TryParseTable(entry.Table, out var table, out _, allowReservedSchema: true);
        var session = await sessions.GetAsync(entry.TenantId, SnapshotSelector.Latest, _ => true, "all", cancellationToken, new HashSet<TableName> { table });
        if (!session.Tables.Contains(table)) return;
        var rows = await QueryRunner.RunTrustedAsync(session,
            $"SELECT * FROM {Qualified(table.Schema, table.Name)} WHERE {Identifier(Lineage.PartitionId)} = CAST($1 AS UUID) ORDER BY {Identifier(Lineage.RecordIndex)}",
            cancellationToken, entry.PartitionId.ToString());
        foreach (var chunk in rows.Chunk(Math.Max(1, options.Value.Retrieval.IndexerBatchSize)))
        {
            var texts = chunk.Select(source.Render).ToList();
            var embeddings = await retrieval.EmbedAsync(texts, cancellationToken);
            await retrieval.StoreAsync(chunk.Select((row, i) => Document(entry, source, row, texts[i], embeddings[i])).ToList(), cancellationToken);
        }
    }

    private static VectorDocument Document(OutboxEntry entry, RetrievalSource source, Dictionary<string, object?> row, string text, float[] embedding)
    {
        var record = Convert.ToInt64(row[Lineage.RecordIndex], CultureInfo.InvariantCulture);
        return new VectorDocument(VectorDocument.IdOf(entry.Table, entry.PartitionId, record), entry.TenantId, entry.Table, entry.PartitionId,
            record, text, source.MetadataFields.Where(row.ContainsKey).ToDictionary(f => f, f => row[f]),
            source.TimeField is not null && row.GetValueOrDefault(source.TimeField) is string time
                ? DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                : null,
            embedding);
    }

    internal static async Task<List<OutboxEntry>> PendingAsync(Lakehouse lake, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            $"SELECT partition_id, tenant_id, table_name FROM dataplane_embedding_outbox ORDER BY enqueued_at LIMIT {limit.ToString(CultureInfo.InvariantCulture)}",
            r => new OutboxEntry(r.GetGuid(0), r.GetString(1), r.GetString(2)), cancellationToken);
    }

    private static async Task CompleteAsync(Lakehouse lake, OutboxEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, "DELETE FROM dataplane_embedding_outbox WHERE partition_id = $1", cancellationToken, entry.PartitionId);
    }
}
