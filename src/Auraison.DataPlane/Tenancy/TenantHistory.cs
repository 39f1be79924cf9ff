using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Tenancy;

/// <summary>
/// The lake's history as one tenant may see it: its own commits whole; commits made for no tenant (the platform's
/// declarations, maintenance, other writers) with only the changes to tables it can see; other tenants' commits
/// not at all.
/// </summary>
public sealed class TenantHistory(string tenant, IReadOnlyList<LakeTable> tables)
{
    // Shared history shows a table when it is shared or the tenant's own; tables of others it has written to show
    // in its own commits only.
    private readonly List<LakeTable> _shown = [.. tables.Where(t => TenantData.IsTenantTable(t) && !TenantColumns.OwnedByAnother(t, tenant))];

    /// <summary>The changes of the commit the tenant sees, or null when the commit is not part of its history.</summary>
    public IReadOnlyList<SnapshotChange>? Changes(SnapshotRecord record)
    {
        var tenants = TenantCommits.Parse(record.ExtraInfo);
        if (tenants is not null) return tenants.Contains(tenant) ? record.Changes : null;
        // Retention commits of earlier versions name their tenant in the message only.
        if (record.Author == "retention") return null;
        var shown = record.Changes.Where(Shown).ToList();
        return shown.Count > 0 || record.Snapshot.Id == 0 ? shown : null;
    }

    private bool Shown(SnapshotChange change) => change.TableId is { } id
        ? _shown.Any(t => t.Id == id)
        : change.Kind switch
        {
            "created_table" => change.Names() is [var schema, var name] && _shown.Any(t => Same(t.SchemaName, schema) && Same(t.Name, name)),
            "created_schema" => change.Names() is [var schema] && _shown.Any(t => Same(t.SchemaName, schema)),
            _ => false,
        };

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
