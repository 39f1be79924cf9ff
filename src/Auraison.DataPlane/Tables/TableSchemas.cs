using System.Collections.Concurrent;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// The tables writers plan against, read once per schema version: the newest snapshot's schema_version changes
/// with every schema change of any writer (another replica's included), so one small query tells whether the
/// table read before still holds; within <see cref="Recheck"/> of that query it is not even asked. Planning on a
/// table another writer changed a moment ago is safe: the schema step and the commit check against the catalog.
/// </summary>
public sealed class TableSchemas(TimeProvider time)
{
    public static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(500);

    public sealed record Known(LakeTable? Table, bool AcceptsNewFields);

    private readonly ConcurrentDictionary<TableName, (long SchemaVersion, DateTimeOffset Checked, Known Known)> _cache = new();

    public async Task<Known> FindAsync(Lakehouse lake, TableName name, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(name, out var recent) && now - recent.Checked < Recheck) return recent.Known;
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var reader = new CatalogReader(connection, null, lake.DataPath);
        var latest = await reader.LatestAsync(cancellationToken);
        if (_cache.TryGetValue(name, out var cached) && cached.SchemaVersion == latest.SchemaVersion)
        {
            _cache[name] = cached with { Checked = now };
            return cached.Known;
        }
        var table = await reader.TableByNameAsync(latest.Id, name.Schema, name.Name, cancellationToken);
        var tags = table is null ? null : await reader.TagsAsync(latest.Id, cancellationToken, table.Id);
        var known = new Known(table, table is null || tags?.GetValueOrDefault(table.Id)?.GetValueOrDefault(TableRegistry.UnknownFieldsTag) != "reject");
        _cache[name] = (latest.SchemaVersion, now, known);
        return known;
    }

    /// <summary>Forgets what is known of a table (this process just changed its schema): the next plan reads it anew.</summary>
    public void Forget(TableName name) => _cache.TryRemove(name, out _);
}
