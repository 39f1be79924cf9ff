namespace Auraison.DataPlane.Lake.Writing;

/// <summary>A Parquet file written locally and not yet registered: what the catalog rows for it need.</summary>
public sealed record StagedFile(
    string LocalPath,
    string RelativePath,
    long RecordCount,
    long FileSizeBytes,
    long FooterSize,
    IReadOnlyList<ColumnStats> Columns,
    IReadOnlyList<string?> PartitionValues)
{
    /// <summary>For a file of rows from several snapshots (each row carries its own): the first and the last of them.</summary>
    public (long First, long Last)? Snapshots { get; init; }

    /// <summary>For a file whose rows carry their own ids: the lowest, recorded as the file's row_id_start.</summary>
    public long? RowIdStart { get; init; }
}

/// <summary>
/// Statistics of one leaf column in one file, in DuckDB's string encoding; <paramref name="ExtraStats"/> holds what
/// min/max cannot say (a geometry column's bounding box and shapes, <see cref="GeometryStats"/>).
/// </summary>
public sealed record ColumnStats(long ColumnId, long? ColumnSizeBytes, long ValueCount, long NullCount, string? Min, string? Max, bool? ContainsNan,
    string? ExtraStats = null);
