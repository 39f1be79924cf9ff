using Auraison.DataPlane.Lake;
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
    public static Task<long> BytesAsync(Lakehouse lake, string tenant, CancellationToken cancellationToken) =>
        lake.LiveBytesInPartitionAsync(Lineage.TenantId, tenant, cancellationToken);
}
