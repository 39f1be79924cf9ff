using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// Deletes rows by predicate, merge-on-read: per data file a delete file of (file_path, pos) holding the old and
/// new positions (those deleted through the catalog included); a file whose rows all go is ended instead. Rows kept
/// in the catalog are ended there.
/// </summary>
public static class DeleteOperations
{
    // DuckDB's field ids for the delete file columns, as the 1.0 writer uses them.
    private const long FilePathFieldId = 2147483646;
    private const long PositionFieldId = 2147483645;

    private sealed record PlannedDelete(DataFileInfo File, StagedFile? DeleteFile, long DeleteCount, bool WholeFile);

    /// <summary>
    /// Deletes the rows of the table matching a DuckDB predicate over its columns; returns how many went.
    /// <paramref name="scope"/> limits which files and inlined rows are looked at (for instance one partition's).
    /// </summary>
    public static async Task<Committed<long>> DeleteWhereAsync(this Lakehouse lake, LakeTable table, string predicate,
        CancellationToken cancellationToken, CommitOptions? options = null, ContentFilter? scope = null)
    {
        var content = await lake.ReadAsync(SnapshotSelector.Latest, cancellationToken, (scope ?? ContentFilter.All).And(t => t.Id == table.Id));
        var current = content.Tables.SingleOrDefault() ?? throw new LakeConflictException($"Table {table.QualifiedName} no longer exists.");
        var data = content.Data[current.Id];

        List<PlannedDelete> plan = [];
        await using var work = lake.OpenWorkConnection();
        try
        {
            foreach (var file in data.Files)
            {
                var planned = await PlanFileAsync(lake, work, current, file, data.InlinedDeletes.GetValueOrDefault(file.Id) ?? [], predicate, cancellationToken);
                if (planned is not null) plan.Add(planned);
            }
            var inlined = await MatchingInlinedRowsAsync(work, current, data.InlinedRows, predicate, cancellationToken);
            var deleteFiles = plan.Where(p => p.DeleteFile is not null).Select(p => p.DeleteFile!).ToList();
            await lake.UploadAsync(current, deleteFiles, cancellationToken);
            return await lake.CommitAsync(async (commit, token) =>
            {
                if (inlined.Count > 0) await commit.EndInlinedRowsAsync(current, inlined, token);
                return inlined.Count + await RegisterAsync(commit, current, plan, token);
            }, cancellationToken, options);
        }
        finally
        {
            foreach (var staged in plan.Where(p => p.DeleteFile is not null)) File.Delete(staged.DeleteFile!.LocalPath);
        }
    }

    private static async Task<IReadOnlyList<InlinedRow>> MatchingInlinedRowsAsync(DuckDBConnection work, LakeTable table, IReadOnlyList<InlinedRow> rows,
        string predicate, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return [];
        await using var loaded = await InlinedRowsTable.LoadAsync(work, table, rows, withIds: true, cancellationToken);
        var matched = (await ParquetStager.QueryAsync(work,
                $"SELECT {Identifier(TableScanSql.RowIdColumn)} FROM ({loaded.Select}) AS rows WHERE ({predicate})", r => r.GetInt64(0), cancellationToken))
            .ToHashSet();
        return rows.Where(r => matched.Contains(r.RowId)).ToList();
    }

    private static async Task<PlannedDelete?> PlanFileAsync(Lakehouse lake, DuckDBConnection work, LakeTable table, DataFileInfo file,
        IReadOnlyList<long> deletedThroughCatalog, string predicate, CancellationToken cancellationToken)
    {
        var scan = TableScanSql.FileWithPositions(table, await lake.Storage.GetLocalPathAsync(file.Path, cancellationToken));
        var existing = (await lake.Reader.DeletedPositionsAsync(work, file, cancellationToken)).Concat(deletedThroughCatalog);
        var matched = await ParquetStager.QueryAsync(work, $"SELECT file_row_number FROM ({scan}) AS rows WHERE ({predicate})",
            r => r.GetInt64(0), cancellationToken);
        var positions = new SortedSet<long>(existing);
        var before = positions.Count;
        positions.UnionWith(matched);
        if (positions.Count == before) return null;
        if (positions.Count >= file.RecordCount) return new PlannedDelete(file, null, positions.Count - before, WholeFile: true);

        var name = $"ducklake-{Guid.CreateVersion7()}-delete.parquet";
        var localDelete = Path.Combine(lake.StagingDirectory, name);
        var values = string.Join(", ", positions.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        var copied = await ParquetStager.QueryAsync(work,
            $"COPY (SELECT {Literal(file.Path)} AS file_path, pos FROM (SELECT unnest([{values}]::BIGINT[]) AS pos) ORDER BY pos) " +
            $"TO {Literal(localDelete)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS {{'file_path': {FilePathFieldId}, 'pos': {PositionFieldId}}}, RETURN_STATS)",
            r => (Size: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture), Footer: Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture)),
            cancellationToken);
        var stats = copied.Single();
        return new PlannedDelete(file, new StagedFile(localDelete, name, positions.Count, stats.Size, stats.Footer, [], []),
            positions.Count - before, WholeFile: false);
    }

    private static async Task<long> RegisterAsync(CatalogCommit commit, LakeTable table, IReadOnlyList<PlannedDelete> plan, CancellationToken cancellationToken)
    {
        if (plan.Count == 0) return 0;
        await commit.CurrentAsync(table, cancellationToken);
        var files = (await commit.Reader.DataFilesAsync(commit.Base.Id, new Dictionary<long, LakeTable> { [table.Id] = table }, cancellationToken, table.Id))
            .ToDictionary(f => f.Id);
        foreach (var planned in plan)
        {
            // The positions were computed against one state of the file; another delete since then invalidates them.
            if (!files.TryGetValue(planned.File.Id, out var now) || now.Deletes?.Id != planned.File.Deletes?.Id)
                throw new LakeConflictException($"Rows of {table.QualifiedName} were deleted or compacted by another writer meanwhile.");
            await commit.ExecuteAsync("UPDATE ducklake_delete_file SET end_snapshot = $1 WHERE data_file_id = $2 AND end_snapshot IS NULL",
                cancellationToken, commit.SnapshotId, planned.File.Id);
            if (planned.WholeFile)
            {
                await commit.ExecuteAsync("UPDATE ducklake_data_file SET end_snapshot = $1 WHERE data_file_id = $2", cancellationToken,
                    commit.SnapshotId, planned.File.Id);
                continue;
            }
            var delete = planned.DeleteFile!;
            await commit.ExecuteAsync(
                "INSERT INTO ducklake_delete_file VALUES ($1, $2, $3, NULL, $4, $5, true, 'parquet', $6, $7, $8, NULL, NULL)",
                cancellationToken, commit.AllocateFileId(), table.Id, commit.SnapshotId, planned.File.Id, delete.RelativePath,
                delete.RecordCount, delete.FileSizeBytes, delete.FooterSize);
        }
        commit.Record(SnapshotChange.DeletedFrom(table.Id));
        return plan.Sum(p => p.DeleteCount);
    }
}
