using System.Collections.Concurrent;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Query;

/// <summary>
/// One tenant's view of the lake at one snapshot: a private in-memory DuckDB holding a view per table the tenant
/// may read (its partitions and rows only) and nothing else, with file access limited to exactly those files and
/// the configuration locked. Requests hold it while they use it (<see cref="HeldSession"/>); once the cache retires it
/// (a newer session replaced it, or it fell out) it closes when the last hold is released.
/// </summary>
public sealed class QuerySession(DuckDBConnection root, string tenant, long snapshotId, IReadOnlySet<TableName> tables,
    IReadOnlySet<TableName> forbidden, IReadOnlySet<long> tableIds, bool readsLineage, FileListVariables fileLists, FilePruner pruner,
    SessionFiles files, QuerySession.ViewAdvancer? advanceViews = null)
{
    /// <summary>The local copies of the files its views read.</summary>
    public SessionFiles Files { get; } = files;

    private long _snapshotId = snapshotId;

    /// <summary>Replaces the session's views with what they show at a later snapshot, if the commits since allow it without a rebuild.</summary>
    public delegate Task<bool> ViewAdvancer(DuckDBConnection root, long snapshotId, CancellationToken cancellationToken);

    // Queries bind their views while holding the read side; moving the views forward takes the write side, so each
    // query reads the views of exactly the snapshot it reports.
    private readonly SemaphoreSlim _advancing = new(1, 1);
    private int _binding;
    private const int MostBindingWaits = 50;

    public string Tenant { get; } = tenant;

    /// <summary>The newest snapshot whose rows this session shows: later commits that changed none of its tables move it on.</summary>
    public long SnapshotId => Interlocked.Read(ref _snapshotId);

    /// <summary>Ids of the lake tables its views read.</summary>
    public IReadOnlySet<long> TableIds { get; } = tableIds;

    /// <summary>Whether it holds <c>lineage.ingests</c>, which every ingest of the tenant changes.</summary>
    public bool ReadsLineage { get; } = readsLineage;

    /// <summary>The snapshot since which the views show what they show: they were built or last moved forward at it.</summary>
    private long _viewsSince = snapshotId;

    /// <summary>
    /// Binds a query (<paramref name="bind"/> returns once DuckDB has bound it) while the views stay as they are; returns
    /// what it returned and the snapshots whose rows the bound query reads (the same rows at each of them).
    /// </summary>
    public async Task<(T Bound, long Since, long UpTo)> BindAsync<T>(Func<Task<T>> bind, CancellationToken cancellationToken)
    {
        await _advancing.WaitAsync(cancellationToken);
        Interlocked.Increment(ref _binding);
        _advancing.Release();
        try
        {
            var (since, upTo) = (Interlocked.Read(ref _viewsSince), SnapshotId);
            return (await bind(), since, upTo);
        }
        finally
        {
            Interlocked.Decrement(ref _binding);
        }
    }

    /// <summary>
    /// Moves the views forward to <paramref name="snapshotId"/> in this database when the commits since changed their
    /// tables in a way the views can follow without a rebuild (rows added); false when they cannot.
    /// </summary>
    public async Task<bool> TryAdvanceViewsAsync(long snapshotId, CancellationToken cancellationToken)
    {
        if (advanceViews is null) return false;
        await _advancing.WaitAsync(cancellationToken);
        try
        {
            if (snapshotId <= SnapshotId) return true;
            // A query whose reader opens only once it has run holds the read side that long: rather than keep every
            // other query of the session waiting behind it, the caller builds a new session.
            for (var waited = 0; Volatile.Read(ref _binding) > 0; waited++)
            {
                if (waited == MostBindingWaits) return false;
                await Task.Delay(1, cancellationToken);
            }
            var lists = fileLists.Count;
            if (!await advanceViews(root, snapshotId, cancellationToken)) return false;
            // Connections set the lists they were given; views over the same files need no new one.
            if (fileLists.Count != lists) throw new InvalidOperationException("Views moved forward in place asked for a file list the session's connections lack.");
            Interlocked.Exchange(ref _viewsSince, snapshotId);
            Advance(snapshotId);
            return true;
        }
        finally
        {
            _advancing.Release();
        }
    }

    public void Advance(long snapshotId)
    {
        for (var known = SnapshotId; known < snapshotId; known = SnapshotId)
            if (Interlocked.CompareExchange(ref _snapshotId, snapshotId, known) == known) return;
    }

    /// <summary>Tables the tenant can query in this session.</summary>
    public IReadOnlySet<TableName> Tables { get; } = tables;

    /// <summary>Tables that exist but the tenant's policy does not allow.</summary>
    public IReadOnlySet<TableName> Forbidden { get; } = forbidden;

    // Result columns by SQL text: the session's tables keep their columns, so a repeated query whose result needs
    // converting to text (ResultAsText) runs converted at once.
    private const int RememberedQueries = 256;
    private readonly ConcurrentDictionary<string, IReadOnlyList<ResultColumn>> _columns = new(StringComparer.Ordinal);

    public IReadOnlyList<ResultColumn>? Columns(string sql) => _columns.GetValueOrDefault(sql);

    public void RememberColumns(string sql, IReadOnlyList<ResultColumn> columns)
    {
        if (_columns.Count < RememberedQueries) _columns.TryAdd(sql, columns);
    }

    // Connections with the file-list variables set, kept for the next query: setting a list of 100,000 paths costs
    // more than planning the query that reads it. Each remembers which of its lists an earlier query narrowed.
    private const int IdleConnectionsKept = 4;
    private readonly ConcurrentBag<SessionConnection> _idle = [];

    private readonly Lock _life = new();
    private int _holds;
    private bool _retired, _closed;

    /// <summary>Whether it has closed: retired from the cache and no longer held.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_life) return _closed;
        }
    }

    /// <summary>Holds it open for a request (the cache hands out no session it has closed).</summary>
    internal QuerySession Hold()
    {
        lock (_life)
        {
            if (_closed) throw new InvalidOperationException("A closed query session was handed out.");
            _holds++;
            return this;
        }
    }

    internal void Release() => CloseIf(() => --_holds == 0 && _retired);

    /// <summary>No request will be given it again: it closes now, or when the last hold is released.</summary>
    internal void Retire() => CloseIf(() =>
    {
        _retired = true;
        return _holds == 0;
    });

    private void CloseIf(Func<bool> lastUse)
    {
        lock (_life)
        {
            if (!lastUse() || _closed) return;
            _closed = true;
        }
        DisposeIdle();
        root.Dispose();
    }

    /// <summary>
    /// A connection to the session's database, ready to read its views; disposing the lease keeps it for the next query.
    /// The lists in <paramref name="narrowed"/> hold only those files (<see cref="NarrowAsync"/>), all others all of theirs.
    /// </summary>
    public async Task<SessionConnection> ConnectAsync(CancellationToken cancellationToken, IReadOnlyList<FileList>? narrowed = null)
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
            narrowed ??= [];
            foreach (var name in lease.Narrowed.Where(n => narrowed.All(l => l.Name != n)).ToList())
            {
                await FileListVariables.SetListAsync(lease.Connection, name, fileLists.Lists.First(l => l.Name == name).Paths, cancellationToken);
                lease.Narrowed.Remove(name);
            }
            foreach (var list in narrowed)
            {
                await FileListVariables.SetListAsync(lease.Connection, list.Name, list.Paths, cancellationToken);
                lease.Narrowed.Add(list.Name);
            }
            return lease;
        }
        catch
        {
            if (lease is not null) await lease.Connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The files of each list a query's filter can match, when it can leave some out (<see cref="FilePruner"/>), fetched
    /// into the cache: a session that fetches files as reads need them then reads only those.
    /// </summary>
    public async Task<IReadOnlyList<FileList>?> NarrowAsync(TableConditions? conditions, CancellationToken cancellationToken)
    {
        var narrowed = await pruner.NarrowAsync(conditions, cancellationToken);
        if (narrowed is not null && Files.CacheDirectory is not null)
            await Files.FetchAsync(narrowed.SelectMany(list => list.Files.Select(f => f.Path)), cancellationToken);
        return narrowed;
    }

    internal void Return(SessionConnection lease)
    {
        if (!IsClosed && _idle.Count < IdleConnectionsKept)
        {
            _idle.Add(lease);
            if (!IsClosed) return;
            DisposeIdle();
        }
        else
            lease.Connection.Dispose();
    }

    private void DisposeIdle()
    {
        while (_idle.TryTake(out var lease)) lease.Connection.Dispose();
    }
}

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

/// <summary>A request's hold on a query session: it stays open until released, even once a newer one replaced it.</summary>
public sealed class HeldSession(QuerySession session) : IDisposable
{
    private int _released;

    public QuerySession Session { get; } = session;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Session.Release();
    }
}
