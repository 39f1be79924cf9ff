using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Tables;

/// <summary>A table declared up front: its columns, and whether fields it lacks are added or refused.</summary>
public sealed record TableDeclaration(TableName Name, IReadOnlyList<ColumnDefinition> Columns, bool AcceptNewFields)
{
    /// <summary>Partition keys after the tenant (and, for the event log, the ingest day).</summary>
    public IReadOnlyList<(string Column, PartitionTransform Transform)> ExtraPartitioning { get; init; } = [];

    /// <summary>The tenant whose write creates the table (it is then that tenant's); null for a shared, declared table.</summary>
    public string? Owner { get; init; }

    public static TableDeclaration Parse(string name, bool acceptNewFields, params (string Column, string Type)[] columns)
    {
        Identifiers.TryParseTable(name, out var table, out _, allowReservedSchema: true);
        return new TableDeclaration(table, columns.Select(c => new ColumnDefinition(c.Column, LakeType.ParseDuckDb(c.Type))).ToList(), acceptNewFields);
    }
}

/// <summary>The tables the platform relies on: they exist from the first start, with these core columns, open to new fields.</summary>
public static class PlatformTables
{
    public static IReadOnlyList<TableDeclaration> All { get; } =
    [
        TableDeclaration.Parse("event_log.agent_traces", true,
            ("trace_id", "VARCHAR"), ("agent_role", "VARCHAR"), ("intent_id", "VARCHAR"), ("step", "BIGINT"), ("text", "VARCHAR"),
            ("metadata", "JSON"), ("occurred_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("event_log.object_detections", true,
            ("frame", "BIGINT"), ("label", "VARCHAR"), ("confidence", "DOUBLE"), ("bbox", "STRUCT(x DOUBLE, y DOUBLE, w DOUBLE, h DOUBLE)"),
            ("robot_id", "VARCHAR"), ("seen_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("event_log.ros_navigation_trials", true,
            ("trial_id", "VARCHAR"), ("robot_id", "VARCHAR"), ("goal", "JSON"), ("success", "BOOLEAN"), ("duration_s", "DOUBLE"),
            ("started_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("job_outcomes", true,
            ("job_id", "VARCHAR"), ("cluster", "VARCHAR"), ("status", "VARCHAR"), ("summary", "VARCHAR"), ("wandb_run_id", "VARCHAR"),
            ("started_at", "TIMESTAMPTZ"), ("completed_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("experiments", true,
            ("id", "VARCHAR"), ("project", "VARCHAR"), ("description", "VARCHAR"), ("created_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("world_model.snapshots", true,
            ("snapshot_id", "UUID"), ("intent_id", "UUID"), ("timestamp", "TIMESTAMPTZ"),
            ("agents_active", "STRUCT(role VARCHAR, status VARCHAR, tool_call_count BIGINT)[]"),
            ("user_plane", "STRUCT(torch STRUCT(jobs_in_flight BIGINT, gpu_util DOUBLE), ros STRUCT(jobs_in_flight BIGINT, gpu_util DOUBLE))"),
            ("causal_chain", "STRUCT(intent_id VARCHAR, job_id VARCHAR, outcome VARCHAR)[]")),
        TableDeclaration.Parse("objects.registry", false,
            ("key", "VARCHAR"), ("path", "VARCHAR"), ("size_bytes", "BIGINT"), ("sha256", "VARCHAR"), ("content_type", "VARCHAR"),
            ("metadata", "JSON"), ("stored_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("datasets.registry", false,
            ("dataset_id", "VARCHAR"), ("name", "VARCHAR"), ("version", "VARCHAR"), ("format", "VARCHAR"), ("lake_snapshot_id", "BIGINT"),
            ("location", "VARCHAR"), ("source_tables", "VARCHAR[]"), ("source_jobs", "VARCHAR[]"), ("files", "JSON"), ("request", "JSON"),
            ("created_at", "TIMESTAMPTZ")),
        TableDeclaration.Parse("simulation_runs", true,
            ("run_id", "VARCHAR"), ("experiment_id", "VARCHAR"), ("simulator", "VARCHAR"), ("s3_prefix", "VARCHAR"), ("status", "VARCHAR"),
            ("config", "JSON"), ("started_at", "TIMESTAMPTZ"), ("completed_at", "TIMESTAMPTZ")),
    ];
}
