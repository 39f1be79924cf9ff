using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>Everything a reader needs to see the lake at one snapshot: tables, their files and catalog-inlined rows.</summary>
public sealed record SnapshotContent(SnapshotInfo Snapshot, IReadOnlyList<LakeTable> Tables, IReadOnlyDictionary<long, TableContent> Data)
{
    /// <summary>
    /// The data files this content, moved forward from <paramref name="earlier"/> by <see cref="LakeReader.AdvanceAsync"/>,
    /// reads and it did not: each table's files follow its earlier ones.
    /// </summary>
    public IEnumerable<DataFileInfo> FilesAddedSince(SnapshotContent earlier) =>
        Tables.Where(t => !ReferenceEquals(Data[t.Id].Files, earlier.Data[t.Id].Files)).SelectMany(t => Data[t.Id].Files.Skip(earlier.Data[t.Id].Files.Count));

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

    private readonly long? _inlinedRowCount;

    /// <summary>Rows kept in the catalog: those read, or those counted when they were not read.</summary>
    public long InlinedRowCount
    {
        get => _inlinedRowCount ?? InlinedRows.Count;
        init => _inlinedRowCount = value;
    }

    /// <summary>The newest snapshot that inserted one of the inlined rows (null without any).</summary>
    public long? InlinedNewestSnapshot { get; init; }

    public long FileRowCount => Files.Sum(f => f.RecordCount - (f.Deletes?.DeleteCount ?? 0))
        - InlinedDeletes.Values.Sum(p => (long)p.Count);

    public long RowCount => FileRowCount + InlinedRowCount;
}

/// <summary>
/// A row kept in the catalog (<c>ducklake_inlined_data_&lt;table&gt;_&lt;schema version&gt;</c>): where it lives, its row id, the
/// snapshot that inserted it, and its values by column id, as text to cast to the column's type.
/// </summary>
public sealed record InlinedRow(string Table, long RowId, long BeginSnapshot, IReadOnlyDictionary<long, string?> Values);

/// <summary>
/// What a read leaves out: tables and data files the predicates refuse, and inlined rows outside a table's SQL
/// predicate over its columns, are not part of the content at all (for instance everything outside one tenant's
/// partition and rows).
/// </summary>
public sealed record ContentFilter(
    Func<LakeTable, bool>? Table = null,
    Func<LakeTable, DataFileInfo, bool>? File = null,
    Func<LakeTable, string?>? InlinedRows = null)
{
    public static ContentFilter All { get; } = new();

    /// <summary>When set, only these tables are read from the catalog at all (the predicates then narrow further).</summary>
    public IReadOnlyCollection<long>? TableIds { get; init; }

    public ContentFilter And(Func<LakeTable, bool> table) => this with { Table = Table is { } own ? t => own(t) && table(t) : table };
}
