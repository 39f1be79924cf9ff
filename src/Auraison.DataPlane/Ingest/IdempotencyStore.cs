using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Ingest;

/// <summary>Replies already given for (tenant, Idempotency-Key), stored in the same commit as the rows they acknowledged.</summary>
public static class IdempotencyStore
{
    public sealed record StoredReply(string RequestHash, string Reply);

    public static async Task<StoredReply?> FindAsync(Lakehouse lake, string tenant, string key, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync(null,
            "SELECT request_hash, reply FROM dataplane_idempotency WHERE tenant_id = $1 AND idempotency_key = $2",
            r => new StoredReply(r.GetString(0), r.GetString(1)), cancellationToken, tenant, key);
        return rows.SingleOrDefault();
    }
}
