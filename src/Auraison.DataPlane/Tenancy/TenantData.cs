using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Schema;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Tenancy;

/// <summary>
/// What of the lake belongs to a tenant: tables that carry the tenant lineage column, the files of its partition,
/// and within those only its rows. Applied when a tenant's view of the lake is built, so no SQL can get around it.
/// </summary>
public static class TenantData
{
    public static bool IsTenantTable(LakeTable table) => table.FindColumn(Lineage.TenantId) is not null;

    /// <summary>The tenant's share of a snapshot: tenant tables, the files of its partition (and unpartitioned ones), its inlined rows.</summary>
    public static ContentFilter Scope(string tenant) => new(IsTenantTable, FilesOf(tenant), _ => RowFilter(tenant));

    /// <summary>Keeps a file unless it was written under the current tenant partitioning for another tenant.</summary>
    public static Func<LakeTable, DataFileInfo, bool> FilesOf(string tenant) => (table, file) =>
        !InTenantPartition(table, file, out var owner) || owner == tenant;

    /// <summary>
    /// Files of the tenant's own partition under the current tenant partitioning: every row in them is the tenant's,
    /// so reading them needs no row filter (which costs a scan of the tenant column, even for a count).
    /// </summary>
    public static Func<LakeTable, DataFileInfo, bool> HoldsOnlyRowsOf(string tenant) => (table, file) =>
        InTenantPartition(table, file, out var owner) && owner == tenant;

    /// <summary>Whether the table's files are split by tenant first: each tenant's files under a directory of its own.</summary>
    public static bool PartitionedByTenant(LakeTable table) =>
        table.FindColumn(Lineage.TenantId) is { } column && table.Partitioning.Count > 0
        && table.Partitioning[0] == new PartitionKey(column.Id, PartitionTransform.Identity);

    /// <summary>
    /// The local directories holding the files of the tenant's partition of each table split by tenant first: written
    /// Hive-style (<c>tenant_id=…/</c>), by this service and the stock extension alike, they hold its files alone.
    /// </summary>
    public static IReadOnlySet<string> PartitionDirectories(Lakehouse lake, IEnumerable<LakeTable> tables, string tenant) =>
        tables.Where(PartitionedByTenant).Select(t => lake.Storage.LocalDirectoryOf(t.FirstPartitionDirectory(tenant)!)).OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

    private static bool InTenantPartition(LakeTable table, DataFileInfo file, out string? owner)
    {
        owner = null;
        if (!PartitionedByTenant(table) || file.PartitionId != table.PartitionId || file.PartitionValues.Count == 0) return false;
        owner = file.PartitionValues[0];
        return true;
    }

    /// <summary>The content without the tables the tenant cannot see (another tenant's, which it has not written to).</summary>
    public static SnapshotContent Visible(SnapshotContent content, string tenant) =>
        content with { Tables = [.. content.Tables.Where(t => TenantColumns.Visible(t, tenant, content.Data[t.Id].RowCount > 0))] };

    /// <summary>The columns of a table as the tenant sees them, in the table's order: stored name → name shown (the field name).</summary>
    public static IReadOnlyList<(string Stored, string Shown)> ColumnsShown(LakeTable table, string tenant)
    {
        var fields = TenantColumns.Of(table, tenant).ToDictionary(c => c.Stored.Id, c => c.Field);
        return table.Columns
            .Where(c => fields.ContainsKey(c.Id) || c.Name.StartsWith(Identifiers.ReservedPrefix, StringComparison.Ordinal))
            .Select(c => (c.Name, fields.GetValueOrDefault(c.Id, c.Name)))
            .ToList();
    }

    public static string RowFilter(string tenant) => $"{Identifier(Lineage.TenantId)} = {Literal(tenant)}";
}
