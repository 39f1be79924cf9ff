using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Schema;

/// <summary>
/// The columns every stored row carries: who wrote it, from which job and request (and where in it), and when. The reserved prefix
/// keeps them apart from user fields (job_outcomes rows have a job_id of their own).
/// </summary>
public static class Lineage
{
    public const string TenantId = "_dp_tenant_id";
    public const string JobId = "_dp_job_id";
    public const string SchemaVersion = "_dp_schema_version";
    public const string PartitionId = "_dp_partition_id";
    public const string IngestedAt = "_dp_ingested_at";
    public const string RecordIndex = "_dp_record_index";

    public static IReadOnlyList<ColumnDefinition> Columns { get; } =
    [
        new(TenantId, LakeType.Primitive("varchar")),
        new(JobId, LakeType.Primitive("varchar")),
        new(SchemaVersion, LakeType.Primitive("varchar")),
        new(PartitionId, LakeType.Primitive("uuid")),
        new(IngestedAt, LakeType.Primitive("timestamptz")),
        new(RecordIndex, LakeType.Primitive("int64")),
    ];

    /// <summary>
    /// Every table is partitioned by tenant, so a tenant's reads and retention touch only its own files; the
    /// append-only event log is also split by day of ingest.
    /// </summary>
    public static IReadOnlyList<(string Column, PartitionTransform Transform)> Partitioning(TableName table) =>
        table.Schema == "event_log"
            ? [(TenantId, PartitionTransform.Identity), (IngestedAt, PartitionTransform.Year), (IngestedAt, PartitionTransform.Month), (IngestedAt, PartitionTransform.Day)]
            : [(TenantId, PartitionTransform.Identity)];
}
