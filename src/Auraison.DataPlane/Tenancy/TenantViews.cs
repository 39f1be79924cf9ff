using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Schema;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tenancy;

/// <summary>
/// A tenant's tables at one snapshot as views in a DuckDB connection: only the tables its policy allows (and, when
/// given, only those named), holding only its partitions and rows, its own columns under their field names.
/// </summary>
public static class TenantViews
{
    /// <param name="Views">The views' local files and file-list variables.</param>
    /// <param name="Tables">The tables the views show.</param>
    /// <param name="Forbidden">Tables the tenant could see but its policy does not allow (named as refused, not as unknown).</param>
    /// <param name="TableIds">The lake ids of the tables shown.</param>
    /// <param name="Columns">Per table shown: its lake table and the stored column behind each name the view shows.</param>
    /// <param name="Content">What the views show: the tenant's tables, files and inlined rows at the snapshot.</param>
    /// <param name="Directories">Local directories holding the tenant's files alone (<see cref="TenantData.PartitionDirectories"/>).</param>
    public sealed record Shown(CreatedViews Views, IReadOnlySet<TableName> Tables, IReadOnlySet<TableName> Forbidden, IReadOnlySet<long> TableIds,
        IReadOnlyDictionary<TableName, ShownTable> Columns, SnapshotContent Content, IReadOnlySet<string> Directories);

    /// <summary>A table as a view shows it: the lake table, and its stored columns by the names the view gives them.</summary>
    public sealed record ShownTable(LakeTable Table, IReadOnlyDictionary<string, LakeColumn> Columns);

    /// <remarks>With <paramref name="lazy"/> cached files are fetched as reads need them (<see cref="LakeReader.CreateViewsAsync"/>).</remarks>
    public static async Task<Shown> CreateAsync(Lakehouse lake, DuckDBConnection target, string tenant, long snapshotId, Func<TableName, bool> allowed,
        IReadOnlySet<TableName>? only, CancellationToken cancellationToken, bool lazy = false)
    {
        HashSet<TableName> forbidden = [];
        var content = TenantData.Visible(await lake.ReadAsync(SnapshotSelector.ById(snapshotId), cancellationToken,
            TenantData.Scope(tenant).And(table =>
            {
                if (allowed(new TableName(table.SchemaName, table.Name))) return true;
                // Only a table the tenant could see is named as refused; the others do not exist for it.
                if (TenantColumns.Visible(table, tenant, hasRows: false)) forbidden.Add(new TableName(table.SchemaName, table.Name));
                return false;
            }),
            only?.Select(t => t.ToString()).ToList()), tenant);
        var columnsShown = content.Tables.ToDictionary(t => t.Id, t => TenantData.ColumnsShown(t, tenant));
        var views = await lake.Reader.CreateViewsAsync(target, content, cancellationToken, _ => TenantData.RowFilter(tenant), TenantData.HoldsOnlyRowsOf(tenant),
            table => columnsShown[table.Id], lazy);
        var shown = content.Tables.ToDictionary(t => new TableName(t.SchemaName, t.Name), t => new ShownTable(t,
            columnsShown[t.Id].ToDictionary(c => c.Shown, c => t.Columns.First(s => s.Name == c.Stored), StringComparer.OrdinalIgnoreCase)));
        return new Shown(views, shown.Keys.ToHashSet(), forbidden, content.Tables.Select(t => t.Id).ToHashSet(), shown, content,
            TenantData.PartitionDirectories(lake, content.Tables, tenant));
    }

    /// <summary>
    /// The views moved forward to a later snapshot in the same database when the commits since only added rows to
    /// their tables (<see cref="LakeReader.AdvanceAsync"/>) and every file added is one the session may already read:
    /// under the tenant's partition directories. Null when they cannot follow (the views stay as they were).
    /// </summary>
    public static async Task<Shown?> AdvanceAsync(Lakehouse lake, DuckDBConnection target, Shown shown, string tenant, long snapshotId,
        CancellationToken cancellationToken)
    {
        if (await lake.Reader.AdvanceAsync(shown.Content, snapshotId, TenantData.Scope(tenant), cancellationToken) is not { } content) return null;
        if (content.FilesAddedSince(shown.Content).Any(f => !DataPaths.IsUnderAny(lake.Storage.LocalPathOf(f.Path), shown.Directories))) return null;
        return await lake.Reader.AdvanceViewsAsync(target, shown.Views, shown.Content, content, cancellationToken, _ => TenantData.RowFilter(tenant),
            TenantData.HoldsOnlyRowsOf(tenant), table => TenantData.ColumnsShown(table, tenant))
            ? shown with { Content = content }
            : null;
    }
}
