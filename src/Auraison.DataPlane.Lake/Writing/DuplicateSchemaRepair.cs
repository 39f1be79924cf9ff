using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// Repairs catalogs in which one schema name has several live rows (written by engine versions that created a
/// schema once per table declared in the same commit). The stock extension resolves schemas by name and refuses
/// such a catalog, at every snapshot, so the repair rewrites history: the lowest id stays, every table, view and
/// macro row of the others points to it, and the other rows go. It runs in a commit of its own, which bumps the
/// schema version so that readers holding the old schema reload it.
/// </summary>
public static class DuplicateSchemaRepair
{
    private sealed record SchemaRow(long Id, string Name, string Path, bool PathIsRelative);

    /// <summary>True when some schema name has more than one live row.</summary>
    public static async Task<bool> IsNeededAsync(CatalogDatabase catalog, CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        return await connection.ScalarAsync<long>(null,
            "SELECT count(*) FROM (SELECT schema_name FROM ducklake_schema WHERE end_snapshot IS NULL GROUP BY schema_name HAVING count(*) > 1) AS d",
            cancellationToken) > 0;
    }

    /// <summary>Merges every duplicate; returns one line per merged name, for the caller's log.</summary>
    public static async Task<IReadOnlyList<string>> MergeDuplicateSchemasAsync(this CatalogCommit commit, CancellationToken cancellationToken)
    {
        var live = await commit.Connection.QueryAsync(commit.Transaction,
            "SELECT schema_id, schema_name, path, path_is_relative FROM ducklake_schema WHERE end_snapshot IS NULL ORDER BY schema_id",
            r => new SchemaRow(r.GetInt64(0), r.GetString(1), r.NullableString(2) ?? "", r.NullableBoolean(3) ?? true), cancellationToken);
        List<string> merged = [];
        foreach (var group in live.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var kept = group.First();
            foreach (var duplicate in group.Skip(1))
                await RepointAsync(commit, kept, duplicate, cancellationToken);
            merged.Add($"schema '{group.Key}': rows {string.Join(", ", group.Skip(1).Select(s => s.Id))} merged into {kept.Id}");
        }
        return merged;
    }

    private static async Task RepointAsync(CatalogCommit commit, SchemaRow kept, SchemaRow duplicate, CancellationToken cancellationToken)
    {
        var tables = await commit.Connection.QueryAsync(commit.Transaction,
            "SELECT DISTINCT table_id FROM ducklake_table WHERE schema_id = $1 AND end_snapshot IS NULL", r => r.GetInt64(0),
            cancellationToken, duplicate.Id);
        if (duplicate.Path != kept.Path || duplicate.PathIsRelative != kept.PathIsRelative)
        {
            // Relative table paths hang off the schema directory; pin them to where their files are.
            var directory = DataPaths.Resolve(commit.DataPath, duplicate.Path, duplicate.PathIsRelative);
            await commit.ExecuteAsync(
                "UPDATE ducklake_table SET path = $1 || path, path_is_relative = false WHERE schema_id = $2 AND path_is_relative",
                cancellationToken, directory, duplicate.Id);
        }
        foreach (var catalogTable in new[] { "ducklake_table", "ducklake_view", "ducklake_macro" })
            await commit.ExecuteAsync($"UPDATE {catalogTable} SET schema_id = $1 WHERE schema_id = $2", cancellationToken, kept.Id, duplicate.Id);
        await commit.ExecuteAsync("DELETE FROM ducklake_tag WHERE object_id = $1", cancellationToken, duplicate.Id);
        await commit.ExecuteAsync("DELETE FROM ducklake_schema WHERE schema_id = $1", cancellationToken, duplicate.Id);
        foreach (var table in tables)
        {
            commit.Record(SnapshotChange.Altered(table));
            commit.MarkSchemaChanged(table);
        }
        if (tables.Count == 0) commit.Record(SnapshotChange.DroppedSchema(duplicate.Id));
    }
}
