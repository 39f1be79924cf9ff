using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;

namespace Auraison.DataPlane.Policy;

/// <summary>A tenant's storage, exactly as the catalog records it: the live data files of its partitions.</summary>
public static class TenantUsage
{
    public sealed record TableUsage(string Table, long Bytes, long Rows, long Files);

    public sealed record Usage(long Bytes, long Rows, long Files, IReadOnlyList<TableUsage> Tables);

    public static async Task<Usage> OfAsync(Lakehouse lake, string tenant, CancellationToken cancellationToken)
    {
        var content = await lake.ReadAsync(SnapshotSelector.Latest, cancellationToken, TenantData.Scope(tenant), inlinedRows: false);
        var tables = content.Tables
            .Select(t => (Table: t, Data: content.Data[t.Id]))
            .Where(t => t.Data.Files.Count > 0 || t.Data.InlinedRowCount > 0)
            .Select(t => new TableUsage(t.Table.QualifiedName, t.Data.Files.Sum(f => f.FileSizeBytes), t.Data.RowCount, t.Data.Files.Count))
            .ToList();
        return new Usage(tables.Sum(t => t.Bytes), tables.Sum(t => t.Rows), tables.Sum(t => t.Files), tables);
    }

    /// <summary>Bytes of the live data files in the tenant's partitions, in one catalog query (the quota check).</summary>
    public static async Task<long> BytesAsync(Lakehouse lake, string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.ScalarAsync<long?>(null,
            """
            SELECT CAST(sum(d.file_size_bytes) AS BIGINT) FROM ducklake_data_file d
            JOIN ducklake_file_partition_value v ON v.data_file_id = d.data_file_id AND v.partition_key_index = 0
            JOIN ducklake_partition_column k ON k.partition_id = d.partition_id AND k.table_id = d.table_id AND k.partition_key_index = 0
            JOIN ducklake_column c ON c.table_id = k.table_id AND c.column_id = k.column_id AND c.end_snapshot IS NULL AND c.column_name = $2
            WHERE d.end_snapshot IS NULL AND v.partition_value = $1
            """, cancellationToken, tenant, Lineage.TenantId) ?? 0;
    }
}
