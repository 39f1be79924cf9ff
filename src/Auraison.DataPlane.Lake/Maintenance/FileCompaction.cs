using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Maintenance;

/// <summary>
/// Merges small files (below a target size) of one table and partition into files of about that size. Time travel
/// is kept: the sources are ended at the merge snapshot (older snapshots still read them until expiry), and the
/// merged file keeps every row's id.
/// </summary>
public static class FileCompaction
{
    public static async Task<MaintenanceReport> MergeAdjacentFilesAsync(this Lakehouse lake, long smallFileBytes, bool dryRun,
        CancellationToken cancellationToken, Func<LakeTable, bool>? includeTable = null)
    {
        var content = await lake.ReadAsync(SnapshotSelector.Latest, cancellationToken, new ContentFilter(includeTable));
        List<string> merged = [];
        long bytes = 0;
        foreach (var table in content.Tables)
        {
            var data = content.Data[table.Id];
            if (data.InlinedDeletes.Count > 0) continue;
            var partitionValues = await PartitionValuesAsync(lake, table.Id, cancellationToken);
            var groups = data.Files.Where(f => f.FileSizeBytes < smallFileBytes)
                .GroupBy(f => (f.PartitionId, Values: partitionValues.GetValueOrDefault(f.Id, ""), Directory: DirectoryOf(table, f)))
                .Where(g => g.Count() > 1);
            foreach (var group in groups)
                foreach (var sources in Batches(group.OrderBy(f => f.RowIdStart), smallFileBytes).Where(b => b.Count > 1))
                {
                    merged.AddRange(sources.Select(f => f.Path));
                    bytes += sources.Sum(f => f.FileSizeBytes);
                    if (!dryRun) await MergeAsync(lake, table, sources, group.Key.Directory, cancellationToken);
                }
        }
        return new MaintenanceReport(dryRun, [], merged, bytes);
    }

    /// <summary>
    /// Files one merge reads at most: each is its own scan in the merging query and its own catalog update, so a
    /// partition of very many tiny files is merged over several commits rather than in one that never ends.
    /// </summary>
    public const int MaxFilesPerMerge = 1000;

    /// <summary>Consecutive files whose sizes add up to at most <paramref name="target"/> (a merged file is about that big), at most <see cref="MaxFilesPerMerge"/> of them.</summary>
    private static IEnumerable<List<DataFileInfo>> Batches(IEnumerable<DataFileInfo> files, long target)
    {
        List<DataFileInfo> batch = [];
        long size = 0;
        foreach (var file in files)
        {
            if (batch.Count > 0 && (size + file.FileSizeBytes > target || batch.Count == MaxFilesPerMerge))
            {
                yield return batch;
                (batch, size) = ([], 0);
            }
            batch.Add(file);
            size += file.FileSizeBytes;
        }
        if (batch.Count > 0) yield return batch;
    }

    private static async Task MergeAsync(Lakehouse lake, LakeTable table, IReadOnlyList<DataFileInfo> sources, string relativeDirectory,
        CancellationToken cancellationToken)
    {
        await using var work = lake.OpenWorkConnection();
        List<string> parts = [];
        foreach (var file in sources)
        {
            var deleted = await lake.Reader.DeletedPositionsAsync(work, file, cancellationToken);
            parts.Add(TableScanSql.FileWithRowIds(table, file, await lake.Storage.GetLocalPathAsync(file.Path, cancellationToken), deleted));
        }
        var partitionValues = await PartitionValueListAsync(lake, sources[0].Id, cancellationToken);
        var staged = await ParquetStager.CopyAsync(work, table, string.Join(" UNION ALL ", parts), lake.StagingDirectory, relativeDirectory,
            partitionValues, cancellationToken, [TableScanSql.RowIdColumn]);
        try
        {
            if (staged is not null) await lake.UploadAsync(table, [staged], cancellationToken);
            await lake.CommitAsync((commit, token) => RegisterAsync(commit, table, sources, staged, token), cancellationToken);
        }
        finally
        {
            if (staged is not null) File.Delete(staged.LocalPath);
        }
    }

    private static async Task<long> RegisterAsync(CatalogCommit commit, LakeTable table, IReadOnlyList<DataFileInfo> sources, StagedFile? merged,
        CancellationToken cancellationToken)
    {
        var current = await commit.Reader.DataFilesAsync(commit.Base.Id, new Dictionary<long, LakeTable> { [table.Id] = table }, cancellationToken, table.Id);
        var byId = current.ToDictionary(f => f.Id);
        foreach (var source in sources)
        {
            if (!byId.TryGetValue(source.Id, out var now) || now.Deletes?.Id != source.Deletes?.Id)
                throw new LakeConflictException($"Files of {table.QualifiedName} changed while they were being merged.");
            await commit.ExecuteAsync("UPDATE ducklake_data_file SET end_snapshot = $1 WHERE data_file_id = $2", cancellationToken, commit.SnapshotId, source.Id);
            await commit.ExecuteAsync("UPDATE ducklake_delete_file SET end_snapshot = $1 WHERE data_file_id = $2 AND end_snapshot IS NULL",
                cancellationToken, commit.SnapshotId, source.Id);
        }
        if (merged is not null)
        {
            var id = commit.AllocateFileId();
            await commit.ExecuteAsync(
                "INSERT INTO ducklake_data_file VALUES ($1, $2, $3, NULL, NULL, $4, true, 'parquet', $5, $6, $7, $8, $9, NULL, NULL, NULL)",
                cancellationToken, id, table.Id, commit.SnapshotId, merged.RelativePath, merged.RecordCount, merged.FileSizeBytes, merged.FooterSize,
                sources.Min(s => s.RowIdStart), sources[0].PartitionId);
            foreach (var column in merged.Columns)
                await commit.ExecuteAsync("INSERT INTO ducklake_file_column_stats VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", cancellationToken,
                    id, table.Id, column.ColumnId, column.ColumnSizeBytes, column.ValueCount, column.NullCount, column.Min, column.Max, column.ContainsNan,
                    column.ExtraStats);
            for (var key = 0; key < merged.PartitionValues.Count; key++)
                await commit.ExecuteAsync("INSERT INTO ducklake_file_partition_value VALUES ($1, $2, $3, $4)", cancellationToken,
                    id, table.Id, (long)key, merged.PartitionValues[key]);
        }
        commit.Record(SnapshotChange.Merged(table.Id));
        return sources.Count;
    }

    private static string DirectoryOf(LakeTable table, DataFileInfo file)
    {
        var relative = file.Path.StartsWith(table.Directory, StringComparison.Ordinal) ? file.Path[table.Directory.Length..] : "";
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..(slash + 1)];
    }

    private static async Task<Dictionary<long, string>> PartitionValuesAsync(Lakehouse lake, long tableId, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync(null,
            "SELECT data_file_id, partition_key_index, partition_value FROM ducklake_file_partition_value WHERE table_id = $1 ORDER BY 1, 2",
            r => (File: r.GetInt64(0), Value: r.NullableString(2)), cancellationToken, tableId);
        return rows.GroupBy(r => r.File).ToDictionary(g => g.Key, g => string.Join("\u001f", g.Select(r => r.Value ?? "\u0000")));
    }

    private static async Task<List<string?>> PartitionValueListAsync(Lakehouse lake, long dataFileId, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            "SELECT partition_value FROM ducklake_file_partition_value WHERE data_file_id = $1 ORDER BY partition_key_index",
            r => r.NullableString(0), cancellationToken, dataFileId);
    }
}
