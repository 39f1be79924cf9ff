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
    IReadOnlyList<InlinedRow> InlinedRows,
    IReadOnlyDictionary<long, List<long>> InlinedDeletes)
{
    public static TableContent Empty { get; } = new([], [], new Dictionary<long, List<long>>());

    public long FileRowCount => Files.Sum(f => f.RecordCount - (f.Deletes?.DeleteCount ?? 0))
        - InlinedDeletes.Values.Sum(p => (long)p.Count);

    public long RowCount => FileRowCount + InlinedRows.Count;
}

/// <summary>
/// A row kept in the catalog (<c>ducklake_inlined_data_&lt;table&gt;_&lt;schema version&gt;</c>): where it lives, its row id, the
/// snapshot that inserted it, and its values by column id, as text to cast to the column's type.
/// </summary>
public sealed record InlinedRow(string Table, long RowId, long BeginSnapshot, IReadOnlyDictionary<long, string?> Values);

/// <summary>
/// What a read leaves out: tables, data files and inlined rows the predicates refuse are not part of the content at
/// all (for instance everything outside one tenant's partition).
/// </summary>
public sealed record ContentFilter(
    Func<LakeTable, bool>? Table = null,
    Func<LakeTable, DataFileInfo, bool>? File = null,
    Func<LakeTable, InlinedRow, bool>? InlinedRow = null)
{
    public static ContentFilter All { get; } = new();

    public ContentFilter And(Func<LakeTable, bool> table) => this with { Table = Table is { } own ? t => own(t) && table(t) : table };
}
