using System.Collections.Concurrent;
using System.Data.Common;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Query;

/// <summary>
/// One tenant's view of the lake at one snapshot: a private in-memory DuckDB holding a view per table the tenant
/// may read (its partitions and rows only) and nothing else, with file access limited to exactly those files and
/// the configuration locked.
/// </summary>
public sealed class QuerySession(DuckDBConnection root, string tenant, long snapshotId, IReadOnlySet<TableName> tables,
    IReadOnlySet<TableName> forbidden, IReadOnlySet<long> tableIds, bool readsLineage, FileListVariables fileLists,
    IReadOnlyDictionary<TableName, TenantViews.ShownTable> shown, FileStatsSource fileStats) : IDisposable
{
    private long _snapshotId = snapshotId;

    public string Tenant { get; } = tenant;

    /// <summary>The newest snapshot whose rows this session shows: later commits that changed none of its tables move it on.</summary>
    public long SnapshotId => Interlocked.Read(ref _snapshotId);

    /// <summary>Ids of the lake tables its views read.</summary>
    public IReadOnlySet<long> TableIds { get; } = tableIds;

    /// <summary>Whether it holds <c>lineage.ingests</c>, which every ingest of the tenant changes.</summary>
    public bool ReadsLineage { get; } = readsLineage;

    public void Advance(long snapshotId)
    {
        for (var known = SnapshotId; known < snapshotId; known = SnapshotId)
            if (Interlocked.CompareExchange(ref _snapshotId, snapshotId, known) == known) return;
    }

    /// <summary>Tables the tenant can query in this session.</summary>
    public IReadOnlySet<TableName> Tables { get; } = tables;

    /// <summary>Tables that exist but the tenant's policy does not allow.</summary>
    public IReadOnlySet<TableName> Forbidden { get; } = forbidden;

    // Result columns by SQL text: a snapshot's tables never change, so a repeated query skips its DESCRIBE.
    private const int RememberedQueries = 256;
    private readonly ConcurrentDictionary<string, IReadOnlyList<QueryColumn>> _columns = new(StringComparer.Ordinal);

    public IReadOnlyList<QueryColumn>? Columns(string sql) => _columns.GetValueOrDefault(sql);

    public IReadOnlyList<QueryColumn>? RememberColumns(string sql, IReadOnlyList<QueryColumn>? columns)
    {
        if (columns is not null && _columns.Count < RememberedQueries) _columns.TryAdd(sql, columns);
        return columns;
    }

    // Connections with the file-list variables set, kept for the next query: setting a list of 100,000 paths costs
    // more than planning the query that reads it. Each remembers which of its lists an earlier query narrowed.
    private const int IdleConnectionsKept = 4;
    private readonly ConcurrentBag<SessionConnection> _idle = [];
    private int _disposed;

    /// <summary>
    /// A connection to the session's database, ready to read its views; disposing the lease keeps it for the next query.
    /// The lists in <paramref name="narrowed"/> hold only those files (<see cref="NarrowAsync"/>), all others all of theirs.
    /// </summary>
    public async Task<SessionConnection> ConnectAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, IReadOnlyList<string>>? narrowed = null)
    {
        SessionConnection? lease = null;
        try
        {
            if (!_idle.TryTake(out lease))
            {
                var connection = root.Duplicate();
                lease = new SessionConnection(this, connection);
                await connection.OpenAsync(cancellationToken);
                await fileLists.SetAsync(connection, cancellationToken);
            }
            foreach (var name in lease.Narrowed.Where(n => narrowed?.ContainsKey(n) != true).ToList())
            {
                await FileListVariables.SetListAsync(lease.Connection, name, fileLists.Lists.First(l => l.Name == name).Paths, cancellationToken);
                lease.Narrowed.Remove(name);
            }
            foreach (var (name, paths) in narrowed ?? new Dictionary<string, IReadOnlyList<string>>())
            {
                await FileListVariables.SetListAsync(lease.Connection, name, paths, cancellationToken);
                lease.Narrowed.Add(name);
            }
            return lease;
        }
        catch
        {
            if (lease is not null) await lease.Connection.DisposeAsync();
            throw;
        }
    }

    // Each column's statistics in the files of a table, read from the catalog when a query first filters on it.
    private readonly ConcurrentDictionary<(long Table, long Column), Lazy<Task<Dictionary<long, FileColumnStats>>>> _stats = new();

    /// <summary>
    /// The file lists of the table a query filters that can be read in part: for each list of that table, the files
    /// whose statistics do not rule out every row the conditions match (at least one file, so the view still binds).
    /// Null when nothing can be left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>?> NarrowAsync(TableConditions? conditions, CancellationToken cancellationToken)
    {
        if (conditions is null || !shown.TryGetValue(conditions.Table, out var table)) return null;
        var lists = fileLists.Lists.Where(l => l.Files.Count > 0 && l.Files[0].TableId == table.Table.Id).ToList();
        var bounds = conditions.Conditions.Select(c => Bound(table, c)).OfType<(ColumnBound Bound, LakeType Type)>().ToList();
        if (lists.Count == 0 || bounds.Count == 0) return null;
        Dictionary<long, Dictionary<long, FileColumnStats>> byColumn = [];
        foreach (var column in bounds.Select(b => b.Bound.ColumnId).Distinct())
        {
            var key = (table.Table.Id, column);
            var load = _stats.GetOrAdd(key, k => new Lazy<Task<Dictionary<long, FileColumnStats>>>(async () =>
                (await fileStats(k.Table, [k.Column], CancellationToken.None)).ToDictionary(s => s.FileId)));
            try
            {
                byColumn[column] = await load.Value.WaitAsync(cancellationToken);
            }
            catch (DbException)
            {
                // Pruning only saves reading: without the statistics the query reads every file, and a later one asks again.
                _stats.TryRemove(new KeyValuePair<(long, long), Lazy<Task<Dictionary<long, FileColumnStats>>>>(key, load));
                return null;
            }
        }
        bool MayMatch(DataFileInfo file) => bounds.All(b => !byColumn[b.Bound.ColumnId].TryGetValue(file.Id, out var stats) || b.Bound.MayMatch(b.Type, stats));
        Dictionary<string, IReadOnlyList<string>> narrowed = [];
        foreach (var list in lists)
        {
            var kept = list.Paths.Where((_, i) => MayMatch(list.Files[i])).ToList();
            if (kept.Count < list.Paths.Count) narrowed[list.Name] = kept.Count > 0 ? kept : [list.Paths[0]];
        }
        return narrowed.Count > 0 ? narrowed : null;
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

    internal void Return(SessionConnection lease)
    {
        if (Volatile.Read(ref _disposed) == 0 && _idle.Count < IdleConnectionsKept)
        {
            _idle.Add(lease);
            if (Volatile.Read(ref _disposed) == 0) return;
            DisposeIdle();
        }
        else
            lease.Connection.Dispose();
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        DisposeIdle();
        root.Dispose();
    }

    private void DisposeIdle()
    {
        while (_idle.TryTake(out var lease)) lease.Connection.Dispose();
    }
}

/// <summary>Reads the statistics of leaf columns in each data file of a table, at the snapshot a session shows.</summary>
public delegate Task<List<FileColumnStats>> FileStatsSource(long tableId, IReadOnlyCollection<long> columnIds, CancellationToken cancellationToken);

/// <summary>A session connection lent to one query; disposing it hands it back to the session.</summary>
public sealed class SessionConnection(QuerySession session, DuckDBConnection connection) : IAsyncDisposable
{
    public DuckDBConnection Connection { get; } = connection;

    /// <summary>The file lists that hold fewer than all their files in this connection.</summary>
    internal HashSet<string> Narrowed { get; } = new(StringComparer.Ordinal);

    public ValueTask DisposeAsync()
    {
        session.Return(this);
        return ValueTask.CompletedTask;
    }
}
