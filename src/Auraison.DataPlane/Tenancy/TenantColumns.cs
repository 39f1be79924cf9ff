using System.Security.Cryptography;
using System.Text;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Tenancy;

/// <summary>
/// Who owns which tables and columns of the shared lake. Declared tables (the platform's, or those an admin declares)
/// are shared with their columns. A field a tenant adds to a shared table, or to another tenant's, is a column of its
/// own, stored as <c>field@tenant</c> and shown to that tenant alone under the field's name. A table a tenant's write
/// created is that tenant's (the <c>dataplane.owner</c> tag), its columns under their own names. So no write of one
/// tenant changes the tables, columns or types another tenant sees or is accepted with.
/// Ownership is in the lake itself (names and a table tag): the stock extension keeps tags on columns for comments only.
/// </summary>
public static class TenantColumns
{
    /// <summary>Table tag: the tenant whose write created the table.</summary>
    public const string OwnerTag = "dataplane.owner";

    private const char OwnSeparator = '@';

    /// <summary>A column as a tenant sees it: its field name and the column stored.</summary>
    public sealed record Column(string Field, LakeColumn Stored);

    /// <summary>The table's user columns (not lineage) the tenant sees: shared ones, or the owner's, and its own.</summary>
    public static IReadOnlyList<Column> Of(LakeTable table, string tenant)
    {
        var ownSuffix = OwnSeparator + Suffix(tenant);
        var seesUnsuffixed = !OwnedByAnother(table, tenant);
        return table.Columns
            .Where(c => !c.Name.StartsWith(Identifiers.ReservedPrefix, StringComparison.Ordinal))
            .Select(c => c.Name.EndsWith(ownSuffix, StringComparison.Ordinal) ? new Column(c.Name[..^ownSuffix.Length], c)
                : seesUnsuffixed && !c.Name.Contains(OwnSeparator, StringComparison.Ordinal) ? new Column(c.Name, c)
                : null)
            .OfType<Column>()
            // A shared column another writer added later under the name of one of the tenant's own fields stays hidden.
            .GroupBy(c => c.Field, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.FirstOrDefault(c => c.Stored.Name != c.Field) ?? g.First())
            .OrderBy(c => c.Stored.Order)
            .ToList();
    }

    /// <summary>The tenant's user columns under their field names: what its records are checked against.</summary>
    public static IReadOnlyList<ColumnDefinition> Definitions(LakeTable? table, string tenant) =>
        table is null ? [] : Of(table, tenant).Select(c => new ColumnDefinition(c.Field, c.Stored.Type)).ToList();

    /// <summary>The column the tenant writes a field to, if it has one (field names match regardless of case).</summary>
    public static Column? Find(LakeTable table, string tenant, string field) =>
        Of(table, tenant).FirstOrDefault(c => string.Equals(c.Field, field, StringComparison.OrdinalIgnoreCase));

    /// <summary>The tenant whose write created the table, or null for a shared (declared) table.</summary>
    public static string? Owner(LakeTable table) => table.Tags.GetValueOrDefault(OwnerTag);

    /// <summary>Whether the table was created by another tenant's write.</summary>
    public static bool OwnedByAnother(LakeTable table, string tenant) => Owner(table) is { } owner && owner != tenant;

    /// <summary>
    /// A tenant table the tenant can see: a shared one, one its write created, or one it has written rows or columns to.
    /// </summary>
    public static bool Visible(LakeTable table, string tenant, bool hasRows) =>
        TenantData.IsTenantTable(table)
        && (!OwnedByAnother(table, tenant) || hasRows
            || table.Columns.Any(c => c.Name.EndsWith(OwnSeparator + Suffix(tenant), StringComparison.Ordinal)));

    /// <summary>The column to create for a new field of the tenant: its own name in a table of its own, else <c>field@tenant</c>.</summary>
    public static ColumnDefinition New(ColumnDefinition field, string tenant, bool ownTable) =>
        ownTable ? field : new ColumnDefinition($"{field.Name}{OwnSeparator}{Suffix(tenant)}", field.Type);

    // Column names are case-insensitive; tenant ids are not, so one with capitals gets a hash to stay apart.
    private static string Suffix(string tenant) =>
        tenant == tenant.ToLowerInvariant()
            ? tenant
            : $"{tenant.ToLowerInvariant()}~{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tenant)))[..8]}";
}
