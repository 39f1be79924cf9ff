using System.Collections.Concurrent;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// The tables writers plan against, read once per schema version: the newest snapshot's schema_version changes
/// with every schema change of any writer (another replica's included), so one small query tells whether the
/// table read before still holds. A commit still checks the table it appends to against the catalog.
/// </summary>
public sealed class TableSchemas
{
    public sealed record Known(LakeTable? Table, bool AcceptsNewFields);

    private readonly ConcurrentDictionary<TableName, (long SchemaVersion, Known Known)> _cache = new();

    public async Task<Known> FindAsync(Lakehouse lake, TableName name, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var reader = new CatalogReader(connection, null, lake.DataPath);
        var latest = await reader.LatestAsync(cancellationToken);
        if (_cache.TryGetValue(name, out var cached) && cached.SchemaVersion == latest.SchemaVersion) return cached.Known;
        var table = await reader.TableByNameAsync(latest.Id, name.Schema, name.Name, cancellationToken);
        var tags = table is null ? null : await reader.TagsAsync(latest.Id, cancellationToken, table.Id);
        var known = new Known(table, table is null || tags?.GetValueOrDefault(table.Id)?.GetValueOrDefault(TableRegistry.UnknownFieldsTag) != "reject");
        _cache[name] = (latest.SchemaVersion, known);
        return known;
    }
}
