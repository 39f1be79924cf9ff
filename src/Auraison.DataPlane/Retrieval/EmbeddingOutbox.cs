using System.Globalization;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Retrieval;

/// <summary>
/// The embedding outbox: one entry per ingest request of a retrievable table, written in the ingest's commit.
/// Indexers claim entries with a lease (rows skipped while another replica holds them), so no entry is embedded by
/// two replicas at once and the entries of a replica that died are taken up when its lease ends. A failing entry is
/// retried with growing waits and parked after <c>IndexerMaxAttempts</c> tries; the others keep flowing.
/// </summary>
public sealed class EmbeddingOutbox(TimeProvider time, IOptions<DataPlaneOptions> options)
{
    public sealed record Entry(Guid PartitionId, string TenantId, string Table, long LakeSnapshotId, int Attempts);

    public sealed record Parked(Guid PartitionId, string Table, int Attempts, string? LastError);

    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    /// <summary>Claims up to <paramref name="limit"/> entries that are due, oldest first, for this process.</summary>
    public async Task<List<Entry>> ClaimAsync(Lakehouse lake, int limit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = await connection.QueryAsync(transaction,
            $"""
             SELECT partition_id FROM dataplane_embedding_outbox
             WHERE parked_at IS NULL AND (claimed_until IS NULL OR claimed_until < CAST($1 AS TIMESTAMP WITH TIME ZONE))
               AND (next_attempt_at IS NULL OR next_attempt_at <= CAST($1 AS TIMESTAMP WITH TIME ZONE))
             ORDER BY enqueued_at LIMIT {limit.ToString(CultureInfo.InvariantCulture)}{lake.Catalog.SkipLocked}
             """, r => r.GetGuid(0), cancellationToken, CatalogReader.Timestamp(now));
        List<Entry> claimed = [];
        foreach (var id in due)
            claimed.AddRange(await connection.QueryAsync(transaction,
                """
                UPDATE dataplane_embedding_outbox SET claimed_until = CAST($1 AS TIMESTAMP WITH TIME ZONE), attempts = coalesce(attempts, 0) + 1
                WHERE partition_id = $2 RETURNING partition_id, tenant_id, table_name, lake_snapshot_id, attempts
                """,
                r => new Entry(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableInt64(3) ?? 0, Convert.ToInt32(r.GetValue(4), CultureInfo.InvariantCulture)),
                cancellationToken,
                CatalogReader.Timestamp(now.AddSeconds(options.Value.Retrieval.IndexerLeaseSeconds)), id));
        await transaction.CommitAsync(cancellationToken);
        return claimed;
    }

    public async Task CompleteAsync(Lakehouse lake, Entry entry, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, "DELETE FROM dataplane_embedding_outbox WHERE partition_id = $1", cancellationToken, entry.PartitionId);
    }

    /// <summary>Releases a failed entry for a later try (waits double from 2 s), or parks it after the last try.</summary>
    public async Task FailAsync(Lakehouse lake, Entry entry, Exception failure, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var park = entry.Attempts >= options.Value.Retrieval.IndexerMaxAttempts;
        var wait = TimeSpan.FromSeconds(Math.Min(MaxWait.TotalSeconds, Math.Pow(2, entry.Attempts)));
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null,
            """
            UPDATE dataplane_embedding_outbox SET claimed_until = NULL, last_error = $2,
              next_attempt_at = CAST($3 AS TIMESTAMP WITH TIME ZONE), parked_at = CAST($4 AS TIMESTAMP WITH TIME ZONE)
            WHERE partition_id = $1
            """, cancellationToken, entry.PartitionId, $"{failure.GetType().Name}: {failure.Message}", CatalogReader.Timestamp(now + wait),
            park ? CatalogReader.Timestamp(now) : null);
    }

    /// <summary>A tenant's entries waiting (not parked): how many, and since when.</summary>
    public static async Task<(long Count, DateTimeOffset? Oldest)> PendingAsync(Lakehouse lake, string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var count = await connection.ScalarAsync<long>(null,
            "SELECT count(*) FROM dataplane_embedding_outbox WHERE tenant_id = $1 AND parked_at IS NULL", cancellationToken, tenant);
        var oldest = await connection.ScalarAsync<string>(null,
            "SELECT CAST(min(enqueued_at) AS VARCHAR) FROM dataplane_embedding_outbox WHERE tenant_id = $1 AND parked_at IS NULL", cancellationToken, tenant);
        return (count, oldest is null ? null : DateTimeOffset.Parse(oldest, CultureInfo.InvariantCulture));
    }

    /// <summary>How many of a tenant's entries are parked, and the newest of them.</summary>
    public static async Task<(long Count, List<Parked> Newest)> ParkedAsync(Lakehouse lake, string tenant, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var count = await connection.ScalarAsync<long>(null,
            "SELECT count(*) FROM dataplane_embedding_outbox WHERE tenant_id = $1 AND parked_at IS NOT NULL", cancellationToken, tenant);
        return (count, await connection.QueryAsync(null,
            $"""
             SELECT partition_id, table_name, attempts, last_error FROM dataplane_embedding_outbox
             WHERE tenant_id = $1 AND parked_at IS NOT NULL ORDER BY parked_at DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
             """,
            r => new Parked(r.GetGuid(0), r.GetString(1), Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture), r.NullableString(3)),
            cancellationToken, tenant));
    }
}
