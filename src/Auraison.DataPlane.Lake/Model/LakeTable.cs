namespace Auraison.DataPlane.Lake.Model;

/// <summary>A column to create: a name and a type whose nested fields become child columns.</summary>
public sealed record ColumnDefinition(string Name, LakeType Type);

/// <summary>A column as the catalog holds it at some snapshot; nested fields are child columns with their own ids.</summary>
public sealed record LakeColumn(long Id, string Name, string TypeName, long Order, string? InitialDefault, IReadOnlyList<LakeColumn> Children)
{
    public LakeType Type => new(TypeName, Children.Select(c => new LakeField(c.Name, c.Type)).ToList());

    /// <summary>The column and all its descendants, parents first (the order ids are assigned in).</summary>
    public IEnumerable<LakeColumn> PreOrder() => Children.SelectMany(c => c.PreOrder()).Prepend(this);
}

/// <summary>How a table's files are split into directories: one key per transformed column.</summary>
public sealed record PartitionKey(long ColumnId, PartitionTransform Transform);

public enum PartitionTransform
{
    Identity,
    Year,
    Month,
    Day,
    Hour,
}

/// <summary>A table as visible at one snapshot.</summary>
public sealed record LakeTable(
    long Id,
    Guid Uuid,
    long SchemaId,
    string SchemaName,
    string Name,
    string Directory,
    IReadOnlyList<LakeColumn> Columns,
    long? PartitionId,
    IReadOnlyList<PartitionKey> Partitioning)
{
    public string QualifiedName => $"{SchemaName}.{Name}";

    /// <summary>The table's tags (<c>ducklake_tag</c>) at the snapshot read.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public LakeColumn? FindColumn(string name) =>
        Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<LakeColumn> AllColumns => Columns.SelectMany(c => c.PreOrder());

    /// <summary>
    /// The Hive directory key of each partition key: the column's name for identity, else the transform's, with the
    /// column's name appended when two keys would share one (as the stock extension names them).
    /// </summary>
    public IReadOnlyList<string> PartitionDirectoryKeys
    {
        get
        {
            var keys = Partitioning.Select(k => (k.Transform, Column: AllColumns.First(c => c.Id == k.ColumnId).Name))
                .Select(k => (Key: k.Transform == PartitionTransform.Identity ? k.Column : k.Transform.ToString().ToLowerInvariant(), k.Column)).ToList();
            return keys.Select(k => keys.Count(o => o.Key == k.Key) > 1 ? $"{k.Key}_{k.Column}" : k.Key).ToList();
        }
    }

    /// <summary>
    /// The directory that files whose first partition value is <paramref name="value"/> are written under (Hive-style,
    /// <c>key=value/</c> below the table's directory); null for a table without partitioning.
    /// </summary>
    public string? FirstPartitionDirectory(string? value) =>
        Partitioning.Count == 0 ? null : Directory + DataPaths.HiveDirectory(PartitionDirectoryKeys[0], value);
}

/// <summary>A schema as visible at one snapshot.</summary>
public sealed record LakeSchema(long Id, Guid Uuid, string Name, string Directory);

/// <summary>A data file visible at a snapshot, with the delete file that applies to it then, if any.</summary>
public sealed record DataFileInfo(
    long Id,
    long TableId,
    long BeginSnapshot,
    string Path,
    long RecordCount,
    long FileSizeBytes,
    long RowIdStart,
    long? PartitionId,
    DeleteFileInfo? Deletes)
{
    /// <summary>The file's value per partition key (of the partitioning it was written under), as strings.</summary>
    public IReadOnlyList<string?> PartitionValues { get; init; } = [];

    /// <summary>
    /// For a file that merged rows of several snapshots (the stock extension's compaction): the newest of them. Each
    /// row then carries the snapshot that wrote it, and a read of an older snapshot keeps only rows up to it.
    /// </summary>
    public long? PartialMax { get; init; }
}

/// <summary>A delete file; one with <see cref="PartialMax"/> keeps the snapshot of each deletion, as merged data files do for rows.</summary>
public sealed record DeleteFileInfo(long Id, string Path, long DeleteCount, long? PartialMax = null);

/// <summary>One leaf column's statistics in one data file, as the catalog keeps them (DuckDB's string encoding).</summary>
public sealed record FileColumnStats(long FileId, long ColumnId, string? Min, string? Max, bool? ContainsNan, string? ExtraStats);
