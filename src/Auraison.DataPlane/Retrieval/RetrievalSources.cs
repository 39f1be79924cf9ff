using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Retrieval;

/// <summary>
/// A table whose rows are retrievable: how a row becomes text (<c>{field}</c> placeholders), which fields go into
/// the result's metadata, and which field dates the row.
/// </summary>
public sealed partial record RetrievalSource(string Table, string TextTemplate, IReadOnlyList<string> MetadataFields, string? TimeField)
{
    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Placeholder();

    public IEnumerable<string> TemplateFields => Placeholder().Matches(TextTemplate).Select(m => m.Groups[1].Value);

    /// <summary>The row's text: placeholders filled with its values (nested ones as JSON), missing ones empty.</summary>
    public string Render(IReadOnlyDictionary<string, object?> row) =>
        Placeholder().Replace(TextTemplate, match => row.TryGetValue(match.Groups[1].Value, out var value) ? Text(value) : "").Trim();

    public static string Text(object? value) => value switch
    {
        null => "",
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString() ?? "",
        _ => JsonSerializer.Serialize(value),
    };
}

/// <summary>The configured sources, kept in the catalog database beside the outbox that feeds on them.</summary>
public static class RetrievalSources
{
    public static IReadOnlyList<RetrievalSource> Defaults { get; } =
    [
        new("event_log.agent_traces", "{agent_role} step {step}: {text}", ["trace_id", "agent_role", "intent_id", "step"], "occurred_at"),
        new("main.job_outcomes", "Job {job_id} on {cluster} {status}: {summary}", ["job_id", "cluster", "status", "wandb_run_id"], "completed_at"),
        new("world_model.snapshots", "Checkpoint of intent {intent_id}. Agents: {agents_active}. Causal chain: {causal_chain}",
            ["snapshot_id", "intent_id"], "timestamp"),
    ];

    /// <summary>Writes the defaults once, into an empty configuration.</summary>
    public static async Task EnsureDefaultsAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        if (await connection.ScalarAsync<long>(null, "SELECT count(*) FROM dataplane_retrieval_sources", cancellationToken) > 0) return;
        foreach (var source in Defaults) await UpsertAsync(connection, source, backfill: false, cancellationToken);
    }

    public static async Task<List<RetrievalSource>> ListAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            "SELECT table_name, text_template, metadata_fields, time_field FROM dataplane_retrieval_sources ORDER BY table_name",
            r => new RetrievalSource(r.GetString(0), r.GetString(1), JsonSerializer.Deserialize<List<string>>(r.GetString(2)) ?? [], r.NullableString(3)),
            cancellationToken);
    }

    /// <summary>Replaces the configuration; rows already stored in newly added tables are queued for indexing.</summary>
    public static async Task ReplaceAsync(Lakehouse lake, IReadOnlyList<RetrievalSource> sources, CancellationToken cancellationToken)
    {
        var before = (await ListAsync(lake, cancellationToken)).Select(s => s.Table).ToHashSet(StringComparer.Ordinal);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(transaction, "DELETE FROM dataplane_retrieval_sources", cancellationToken);
        foreach (var source in sources)
            await UpsertAsync(connection, source, backfill: !before.Contains(source.Table), cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task UpsertAsync(System.Data.Common.DbConnection connection, RetrievalSource source, bool backfill,
        CancellationToken cancellationToken, System.Data.Common.DbTransaction? transaction = null)
    {
        await connection.ExecuteAsync(transaction, "INSERT INTO dataplane_retrieval_sources VALUES ($1, $2, $3, $4, CAST($5 AS TIMESTAMP WITH TIME ZONE))",
            cancellationToken, source.Table, source.TextTemplate, JsonSerializer.Serialize(source.MetadataFields), source.TimeField,
            CatalogReader.Timestamp(DateTimeOffset.UtcNow));
        if (!backfill) return;
        await connection.ExecuteAsync(transaction,
            """
            INSERT INTO dataplane_embedding_outbox (partition_id, tenant_id, table_name, lake_snapshot_id, enqueued_at)
            SELECT l.partition_id, l.tenant_id, l.table_name, l.lake_snapshot_id, l.ingested_at FROM dataplane_ingest_lineage l
            WHERE l.table_name = $1 AND NOT EXISTS (SELECT 1 FROM dataplane_embedding_outbox o WHERE o.partition_id = l.partition_id)
            """, cancellationToken, source.Table);
    }
}
