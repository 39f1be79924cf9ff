using System.Globalization;
using System.Text.Json;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Snapshots;

/// <summary>
/// World-model snapshots are rows of <c>world_model.snapshots</c>, written through the ingest path with the
/// snapshot id as idempotency key (same body: replayed, other body: 409). The lake snapshot that committed a row —
/// the checkpoint replay reads at — is in the request's lineage record.
/// </summary>
public sealed class WorldModelSnapshots(IngestService ingest, QuerySessions sessions)
{
    public static readonly TableName Table = new("world_model", "snapshots");

    // The only tables its queries read: the session for them needs no views of the rest of the lake.
    private static readonly HashSet<TableName> Reads = [Table, LineageTable.Name];

    public const string SchemaVersion = "world-model-snapshot/1";

    private const string Select =
        """
        SELECT s.snapshot_id, s.intent_id, s."timestamp", s.agents_active, s.user_plane, s.causal_chain, l.lake_snapshot_id
        FROM world_model.snapshots s JOIN lineage.ingests l ON l.partition_id = s._dp_partition_id
        """;

    public sealed record Stored(Guid SnapshotId, long LakeSnapshotId, bool Replayed);

    public async Task<Stored> StoreAsync(string tenant, Guid snapshotId, JsonElement document, CancellationToken cancellationToken)
    {
        using var records = RequestSpool.Of([(0, document.WriteTo)], ingest.SpoolDirectory);
        var draft = new IngestCommand(Table, tenant, $"world-model:{snapshotId}", SchemaVersion, records, OnError.Reject,
            $"world-model-snapshot:{snapshotId}", "", "agentops");
        var command = draft with { RequestHash = IngestBody.Hash(draft) };
        var outcome = await ingest.IngestAsync(command, cancellationToken);
        return new Stored(snapshotId, outcome.Reply.LakeSnapshotId, outcome.Replayed);
    }

    public async Task<Dictionary<string, object?>?> FindAsync(string tenant, Guid snapshotId, CancellationToken cancellationToken)
    {
        using var held = await LatestAsync(tenant, cancellationToken);
        return (await QueryRunner.RunTrustedAsync(held.Session, $"{Select} WHERE s.snapshot_id = $1", cancellationToken, snapshotId)).SingleOrDefault();
    }

    public async Task<List<Dictionary<string, object?>>> ListAsync(string tenant, Guid? intentId, DateTimeOffset? from, DateTimeOffset? to, int limit,
        CancellationToken cancellationToken)
    {
        using var held = await LatestAsync(tenant, cancellationToken);
        return await QueryRunner.RunTrustedAsync(held.Session,
            $"""
             {Select}
             WHERE ($1 IS NULL OR s.intent_id = CAST($1 AS UUID))
               AND ($2 IS NULL OR s."timestamp" >= CAST($2 AS TIMESTAMPTZ)) AND ($3 IS NULL OR s."timestamp" <= CAST($3 AS TIMESTAMPTZ))
             ORDER BY s."timestamp" DESC, l.lake_snapshot_id DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
             """,
            cancellationToken, intentId?.ToString(), from?.ToString("O", CultureInfo.InvariantCulture), to?.ToString("O", CultureInfo.InvariantCulture));
    }

    /// <summary>The lake snapshot a world-model snapshot pins, for replay; null when the tenant has no such snapshot.</summary>
    public async Task<long?> LakeSnapshotOfAsync(string tenant, Guid snapshotId, CancellationToken cancellationToken) =>
        (await FindAsync(tenant, snapshotId, cancellationToken))?["lake_snapshot_id"] is long id ? id : null;

    private Task<HeldSession> LatestAsync(string tenant, CancellationToken cancellationToken) =>
        sessions.ForServiceAsync(tenant, Reads, cancellationToken);
}
