namespace Auraison.DataPlane.Lake.Writing;

/// <summary>A Parquet file written locally and not yet registered: what the catalog rows for it need.</summary>
public sealed record StagedFile(
    string LocalPath,
    string RelativePath,
    long RecordCount,
    long FileSizeBytes,
    long FooterSize,
    IReadOnlyList<ColumnStats> Columns,
    IReadOnlyList<string?> PartitionValues);

/// <summary>Statistics of one leaf column in one file, in DuckDB's string encoding.</summary>
public sealed record ColumnStats(long ColumnId, long? ColumnSizeBytes, long ValueCount, long NullCount, string? Min, string? Max, bool? ContainsNan);
