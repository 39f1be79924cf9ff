using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Tests.Reading;

namespace Auraison.DataPlane.Lake.Tests.Interop;

/// <summary>The lake as this engine reads it, snapshot by snapshot, in the form the reference CLI's view is compared with.</summary>
internal static class EngineView
{
    public static async Task<LakeView> CaptureAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        List<SnapshotRecord> records;
        await using (var connection = await lake.Catalog.OpenAsync(cancellationToken))
            records = await new CatalogReader(connection, null, lake.DataPath).SnapshotsAsync(-1, int.MaxValue, cancellationToken);
        List<SnapshotView> snapshots = [];
        foreach (var record in records)
        {
            var content = await lake.ReadAsync(SnapshotSelector.ById(record.Snapshot.Id), cancellationToken);
            await using var duck = await QueryDatabase.OpenAsync(cancellationToken);
            await lake.Reader.CreateViewsAsync(duck, content, cancellationToken);
            var tables = new Dictionary<string, IReadOnlyList<string>>();
            foreach (var table in content.Tables)
            {
                await using var command = duck.CreateCommand();
                command.CommandText = $"SELECT CAST(to_json(x) AS VARCHAR) FROM {SqlText.Qualified(table.SchemaName, table.Name)} AS x";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                List<string> rows = [];
                while (await reader.ReadAsync(cancellationToken)) rows.Add(reader.GetString(0));
                tables[table.QualifiedName] = rows.Order(StringComparer.Ordinal).ToList();
            }
            snapshots.Add(new SnapshotView(record.Snapshot.Id, StockChanges.FromChangesMade(record.ChangesMade), tables));
        }
        return new LakeView(snapshots);
    }
}
