using System.Collections.Concurrent;
using System.Data.Common;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;

namespace Auraison.DataPlane.Query;

/// <summary>Reads the statistics of leaf columns in each data file of a table, at the snapshot a session shows.</summary>
public delegate Task<List<FileColumnStats>> FileStatsSource(long tableId, IReadOnlyCollection<long> columnIds, CancellationToken cancellationToken);

/// <summary>
/// A session's pruning of files by the catalog's statistics: which files of its file lists a query's conditions can
/// match (<see cref="FilterBounds"/>), with each column's per-file statistics read once, on the first query that needs them.
/// </summary>
public sealed class FilePruner(FileListVariables fileLists, IReadOnlyDictionary<TableName, TenantViews.ShownTable> shown, FileStatsSource fileStats)
{
    // Each column's statistics in the files of a table, read from the catalog when a query first filters on it.
    private readonly ConcurrentDictionary<(long Table, long Column), Lazy<Task<Dictionary<long, FileColumnStats>>>> _stats = new();

    /// <summary>
    /// The file lists of the table a query filters that can be read in part: for each list of that table, the same list
    /// holding only the files whose statistics do not rule out every row the conditions match (at least one file, so
    /// the view still binds). Null when nothing can be left out.
    /// </summary>
    public async Task<IReadOnlyList<FileList>?> NarrowAsync(TableConditions? conditions, CancellationToken cancellationToken)
    {
        if (conditions is null || !shown.TryGetValue(conditions.Table, out var table)) return null;
        var lists = fileLists.Lists.Where(l => l.Files.Count > 0 && l.Files[0].TableId == table.Table.Id).ToList();
        var bounds = conditions.Conditions.Select(c => Bound(table, c)).OfType<(ColumnBound Bound, LakeType Type)>().ToList();
        if (lists.Count == 0 || bounds.Count == 0) return null;
        Dictionary<long, Dictionary<long, FileColumnStats>> byColumn = [];
        foreach (var column in bounds.Select(b => b.Bound.ColumnId).Distinct())
            if (await StatsAsync(table.Table.Id, column, cancellationToken) is { } stats) byColumn[column] = stats;
            else return null;
        bool MayMatch(DataFileInfo file) => bounds.All(b => !byColumn[b.Bound.ColumnId].TryGetValue(file.Id, out var stats) || b.Bound.MayMatch(b.Type, stats));
        List<FileList> narrowed = [];
        foreach (var list in lists)
        {
            var kept = Enumerable.Range(0, list.Files.Count).Where(i => MayMatch(list.Files[i])).DefaultIfEmpty(0).ToList();
            if (kept.Count < list.Files.Count) narrowed.Add(list with { Files = [.. kept.Select(i => list.Files[i])], Paths = [.. kept.Select(i => list.Paths[i])] });
        }
        return narrowed.Count > 0 ? narrowed : null;
    }

    /// <summary>The column's statistics per data file; null when the catalog cannot be read now.</summary>
    private async Task<Dictionary<long, FileColumnStats>?> StatsAsync(long tableId, long columnId, CancellationToken cancellationToken)
    {
        var key = (tableId, columnId);
        var load = _stats.GetOrAdd(key, k => new Lazy<Task<Dictionary<long, FileColumnStats>>>(async () =>
            (await fileStats(k.Table, [k.Column], CancellationToken.None)).ToDictionary(s => s.FileId)));
        try
        {
            return await load.Value.WaitAsync(cancellationToken);
        }
        catch (DbException)
        {
            // Pruning only saves reading: without the statistics the query reads every file, and a later one asks again.
            _stats.TryRemove(new KeyValuePair<(long, long), Lazy<Task<Dictionary<long, FileColumnStats>>>>(key, load));
            return null;
        }
    }

    /// <summary>A condition as a bound on the stored leaf column it names (through struct fields), when it names one.</summary>
    private static (ColumnBound Bound, LakeType Type)? Bound(TenantViews.ShownTable table, ColumnCondition condition)
    {
        if (!table.Columns.TryGetValue(condition.Path[0], out var column)) return null;
        foreach (var field in condition.Path.Skip(1))
            if (column.Children.FirstOrDefault(c => string.Equals(c.Name, field, StringComparison.OrdinalIgnoreCase)) is { } child) column = child;
            else return null;
        if (column.Children.Count > 0) return null;
        if (condition.Extent is { } box)
            return column.TypeName == "geometry" ? (new ExtentOverlap(column.Id, box.XMin, box.YMin, box.XMax, box.YMax), column.Type) : null;
        return (new ValueRange(column.Id, condition.Lower, condition.Upper), column.Type);
    }
}
