using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>Everything a reader needs to see the lake at one snapshot: tables, their files and catalog-inlined rows.</summary>
public sealed record SnapshotContent(SnapshotInfo Snapshot, IReadOnlyList<LakeTable> Tables, IReadOnlyDictionary<long, TableContent> Data)
{
    public LakeTable? FindTable(string schema, string name) => Tables.FirstOrDefault(t =>
        string.Equals(t.SchemaName, schema, StringComparison.OrdinalIgnoreCase) && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A table's data at a snapshot: Parquet files (with deletes) and rows still inlined in the catalog.</summary>
public sealed record TableContent(
    IReadOnlyList<DataFileInfo> Files,
    IReadOnlyList<Dictionary<long, string?>> InlinedRows,
    IReadOnlyDictionary<long, List<long>> InlinedDeletes)
{
    public static TableContent Empty { get; } = new([], [], new Dictionary<long, List<long>>());

    public long FileRowCount => Files.Sum(f => f.RecordCount - (f.Deletes?.DeleteCount ?? 0))
        - InlinedDeletes.Values.Sum(p => (long)p.Count);

    public long RowCount => FileRowCount + InlinedRows.Count;
}
