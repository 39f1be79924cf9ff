using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>Registers staged (already uploaded) Parquet files as new data of a table, with every statistic the spec keeps.</summary>
public static class AppendOperations
{
    /// <summary>Adds the files; returns their data file ids. A conflict when the table lost a column or its partitioning changed.</summary>
    public static async Task<IReadOnlyList<long>> AppendFilesAsync(this CatalogCommit commit, LakeTable planned, IReadOnlyList<StagedFile> files,
        CancellationToken cancellationToken)
    {
        var current = await commit.CurrentAsync(planned, cancellationToken);
        RequireSameLayout(planned, current);
        if (files.Count == 0) return [];
        var rowIdStart = await AdvanceTableStatsAsync(commit, planned.Id, files.Sum(f => f.RecordCount), files.Sum(f => f.FileSizeBytes), cancellationToken);
        var ids = await InsertFilesAsync(commit, planned, files, rowIdStart, cancellationToken);
        await MergeColumnStatsAsync(commit, current, files.SelectMany(f => f.Columns), cancellationToken);
        commit.Record(SnapshotChange.InsertedInto(planned.Id));
        return ids;
    }

    /// <summary>
    /// Writes the catalog rows of data files: each gets the next file id and, unless it carries its rows' ids itself,
    /// consecutive row ids from <paramref name="rowIdStart"/>; a file of rows from several snapshots begins at the
    /// first of them and records the last as partial_max.
    /// </summary>
    internal static async Task<IReadOnlyList<long>> InsertFilesAsync(CatalogCommit commit, LakeTable table, IReadOnlyList<StagedFile> files,
        long rowIdStart, CancellationToken cancellationToken)
    {
        List<long> ids = [];
        List<object?[]> fileRows = [], statsRows = [], partitionRows = [];
        var nextRowId = rowIdStart;
        foreach (var file in files)
        {
            var id = commit.AllocateFileId();
            ids.Add(id);
            fileRows.Add([id, table.Id, file.Snapshots?.First ?? commit.SnapshotId, null, null, file.RelativePath, true, "parquet", file.RecordCount,
                file.FileSizeBytes, file.FooterSize, file.RowIdStart ?? nextRowId, table.PartitionId, null, null, file.Snapshots?.Last]);
            if (file.RowIdStart is null) nextRowId += file.RecordCount;
            statsRows.AddRange(file.Columns.Select(column => new object?[]
            {
                id, table.Id, column.ColumnId, column.ColumnSizeBytes, column.ValueCount, column.NullCount, column.Min, column.Max, column.ContainsNan, column.ExtraStats,
            }));
            partitionRows.AddRange(file.PartitionValues.Select((value, key) => new object?[] { id, table.Id, (long)key, value }));
        }
        await commit.InsertRowsAsync("ducklake_data_file", fileRows, cancellationToken);
        await commit.InsertRowsAsync("ducklake_file_column_stats", statsRows, cancellationToken);
        await commit.InsertRowsAsync("ducklake_file_partition_value", partitionRows, cancellationToken);
        return ids;
    }

    /// <summary>Adds rows and bytes to the table's totals; returns the first of the row ids they take.</summary>
    internal static async Task<long> AdvanceTableStatsAsync(CatalogCommit commit, long tableId, long addedRows, long addedBytes,
        CancellationToken cancellationToken)
    {
        var stats = (await commit.Connection.QueryAsync(commit.Transaction,
            "SELECT record_count, next_row_id, file_size_bytes FROM ducklake_table_stats WHERE table_id = $1",
            r => (Records: r.NullableInt64(0), NextRowId: r.NullableInt64(1) ?? 0, Bytes: r.NullableInt64(2) ?? 0),
            cancellationToken, tableId)).FirstOrDefault();
        if (stats.Records is not null)
        {
            await commit.ExecuteAsync(
                "UPDATE ducklake_table_stats SET record_count = record_count + $1, next_row_id = $2, file_size_bytes = file_size_bytes + $3 WHERE table_id = $4",
                cancellationToken, addedRows, stats.NextRowId + addedRows, addedBytes, tableId);
            return stats.NextRowId;
        }
        // A row with NULL totals is ignored by readers; replace it rather than add a second one.
        await commit.ExecuteAsync("DELETE FROM ducklake_table_stats WHERE table_id = $1", cancellationToken, tableId);
        await commit.ExecuteAsync("INSERT INTO ducklake_table_stats VALUES ($1, $2, $3, $4)", cancellationToken,
            tableId, addedRows, stats.NextRowId + addedRows, stats.Bytes + addedBytes);
        return stats.NextRowId;
    }

    internal static void RequireSameLayout(LakeTable planned, LakeTable current)
    {
        var now = current.AllColumns.ToDictionary(c => c.Id);
        foreach (var column in planned.AllColumns)
            if (!now.TryGetValue(column.Id, out var still) || still.TypeName != column.TypeName)
                throw new LakeConflictException($"Column '{column.Name}' of {planned.QualifiedName} was dropped or changed by another writer.");
        if (planned.PartitionId != current.PartitionId)
            throw new LakeConflictException($"The partitioning of {planned.QualifiedName} was changed by another writer.");
    }

    /// <summary>Widens the table-level statistics by those of new rows (files or inlined rows).</summary>
    internal static async Task MergeColumnStatsAsync(CatalogCommit commit, LakeTable table, IEnumerable<ColumnStats> added, CancellationToken cancellationToken)
    {
        var existing = (await commit.Connection.QueryAsync(commit.Transaction,
            "SELECT column_id, contains_null, contains_nan, min_value, max_value, extra_stats FROM ducklake_table_column_stats WHERE table_id = $1",
            r => (Column: r.GetInt64(0), Null: r.NullableBoolean(1), Nan: r.NullableBoolean(2), Min: r.NullableString(3), Max: r.NullableString(4),
                Extra: r.NullableString(5)),
            cancellationToken, table.Id)).ToDictionary(r => r.Column);
        var types = table.AllColumns.ToDictionary(c => c.Id, c => c.TypeName);
        List<object?[]> merged = [];
        foreach (var perColumn in added.GroupBy(c => c.ColumnId))
        {
            var type = types[perColumn.Key];
            var min = perColumn.Select(c => c.Min).Aggregate((string?)null, (a, b) => StatsOrder.Min(type, a, b));
            var max = perColumn.Select(c => c.Max).Aggregate((string?)null, (a, b) => StatsOrder.Max(type, a, b));
            var containsNull = perColumn.Any(c => c.NullCount > 0);
            bool? containsNan = perColumn.Any(c => c.ContainsNan == true) ? true : perColumn.All(c => c.ContainsNan is null) ? null : false;
            var extra = perColumn.Select(c => GeometryStats.Parse(c.ExtraStats)).OfType<GeometryStats>().Aggregate((GeometryStats?)null, (a, b) => b.Union(a));
            if (existing.TryGetValue(perColumn.Key, out var old))
                merged.Add([table.Id, perColumn.Key, containsNull || old.Null == true,
                    containsNan is null && old.Nan is null ? null : containsNan == true || old.Nan == true,
                    StatsOrder.Min(type, old.Min, min), StatsOrder.Max(type, old.Max, max),
                    extra is null ? old.Extra : extra.Union(GeometryStats.Parse(old.Extra)).ToJson()]);
            else
                merged.Add([table.Id, perColumn.Key, containsNull, containsNan, min, max, extra?.ToJson()]);
        }
        if (merged.Count == 0) return;
        // Columns these rows say nothing about keep their row; the others are replaced in two statements, not one per column.
        await commit.ExecuteAsync($"DELETE FROM ducklake_table_column_stats WHERE table_id = $1 AND column_id IN ({string.Join(", ", merged.Select(r => r[1]))})",
            cancellationToken, table.Id);
        await commit.InsertRowsAsync("ducklake_table_column_stats", merged, cancellationToken);
    }
}
