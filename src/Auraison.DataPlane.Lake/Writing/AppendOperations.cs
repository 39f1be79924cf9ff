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

        var stats = (await commit.Connection.QueryAsync(commit.Transaction,
            "SELECT record_count, next_row_id, file_size_bytes FROM ducklake_table_stats WHERE table_id = $1",
            r => (Records: r.NullableInt64(0) ?? 0, NextRowId: r.NullableInt64(1) ?? 0, Bytes: r.NullableInt64(2) ?? 0),
            cancellationToken, planned.Id)).FirstOrDefault();
        var hasStats = await commit.Connection.ScalarAsync<long>(commit.Transaction,
            "SELECT count(*) FROM ducklake_table_stats WHERE table_id = $1 AND record_count IS NOT NULL", cancellationToken, planned.Id) > 0;

        List<long> ids = [];
        var nextRowId = stats.NextRowId;
        foreach (var file in files)
        {
            var id = commit.AllocateFileId();
            ids.Add(id);
            await commit.ExecuteAsync(
                "INSERT INTO ducklake_data_file VALUES ($1, $2, $3, NULL, NULL, $4, true, 'parquet', $5, $6, $7, $8, $9, NULL, NULL, NULL)",
                cancellationToken, id, planned.Id, commit.SnapshotId, file.RelativePath, file.RecordCount, file.FileSizeBytes,
                file.FooterSize, nextRowId, planned.PartitionId);
            nextRowId += file.RecordCount;
            foreach (var column in file.Columns)
                await commit.ExecuteAsync("INSERT INTO ducklake_file_column_stats VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
                    cancellationToken, id, planned.Id, column.ColumnId, column.ColumnSizeBytes, column.ValueCount, column.NullCount,
                    column.Min, column.Max, column.ContainsNan);
            for (var key = 0; key < file.PartitionValues.Count; key++)
                await commit.ExecuteAsync("INSERT INTO ducklake_file_partition_value VALUES ($1, $2, $3, $4)", cancellationToken,
                    id, planned.Id, (long)key, file.PartitionValues[key]);
        }

        var addedRows = files.Sum(f => f.RecordCount);
        var addedBytes = files.Sum(f => f.FileSizeBytes);
        if (hasStats)
            await commit.ExecuteAsync(
                "UPDATE ducklake_table_stats SET record_count = record_count + $1, next_row_id = $2, file_size_bytes = file_size_bytes + $3 WHERE table_id = $4",
                cancellationToken, addedRows, nextRowId, addedBytes, planned.Id);
        else
        {
            // A row with NULL totals is ignored by readers; replace it rather than add a second one.
            await commit.ExecuteAsync("DELETE FROM ducklake_table_stats WHERE table_id = $1", cancellationToken, planned.Id);
            await commit.ExecuteAsync("INSERT INTO ducklake_table_stats VALUES ($1, $2, $3, $4)", cancellationToken,
                planned.Id, stats.Records + addedRows, nextRowId, stats.Bytes + addedBytes);
        }
        await MergeColumnStatsAsync(commit, current, files, cancellationToken);
        commit.Record(SnapshotChange.InsertedInto(planned.Id));
        return ids;
    }

    private static void RequireSameLayout(LakeTable planned, LakeTable current)
    {
        var now = current.AllColumns.ToDictionary(c => c.Id);
        foreach (var column in planned.AllColumns)
            if (!now.TryGetValue(column.Id, out var still) || still.TypeName != column.TypeName)
                throw new LakeConflictException($"Column '{column.Name}' of {planned.QualifiedName} was dropped or changed by another writer.");
        if (planned.PartitionId != current.PartitionId)
            throw new LakeConflictException($"The partitioning of {planned.QualifiedName} was changed by another writer.");
    }

    private static async Task MergeColumnStatsAsync(CatalogCommit commit, LakeTable table, IReadOnlyList<StagedFile> files, CancellationToken cancellationToken)
    {
        var existing = (await commit.Connection.QueryAsync(commit.Transaction,
            "SELECT column_id, contains_null, contains_nan, min_value, max_value FROM ducklake_table_column_stats WHERE table_id = $1",
            r => (Column: r.GetInt64(0), Null: r.NullableBoolean(1), Nan: r.NullableBoolean(2), Min: r.NullableString(3), Max: r.NullableString(4)),
            cancellationToken, table.Id)).ToDictionary(r => r.Column);
        var types = table.AllColumns.ToDictionary(c => c.Id, c => c.TypeName);
        foreach (var perColumn in files.SelectMany(f => f.Columns).GroupBy(c => c.ColumnId))
        {
            var type = types[perColumn.Key];
            var min = perColumn.Select(c => c.Min).Aggregate((string?)null, (a, b) => StatsOrder.Min(type, a, b));
            var max = perColumn.Select(c => c.Max).Aggregate((string?)null, (a, b) => StatsOrder.Max(type, a, b));
            var containsNull = perColumn.Any(c => c.NullCount > 0);
            bool? containsNan = perColumn.Any(c => c.ContainsNan == true) ? true : perColumn.All(c => c.ContainsNan is null) ? null : false;
            if (existing.TryGetValue(perColumn.Key, out var old))
            {
                await commit.ExecuteAsync(
                    "UPDATE ducklake_table_column_stats SET contains_null = $1, contains_nan = $2, min_value = $3, max_value = $4 WHERE table_id = $5 AND column_id = $6",
                    cancellationToken, containsNull || old.Null == true, containsNan is null && old.Nan is null ? null : containsNan == true || old.Nan == true,
                    StatsOrder.Min(type, old.Min, min), StatsOrder.Max(type, old.Max, max), table.Id, perColumn.Key);
            }
            else
            {
                await commit.ExecuteAsync("INSERT INTO ducklake_table_column_stats VALUES ($1, $2, $3, $4, $5, $6, NULL)", cancellationToken,
                    table.Id, perColumn.Key, containsNull, containsNan, min, max);
            }
        }
    }
}
