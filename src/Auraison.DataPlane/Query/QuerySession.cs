using System.Collections.Concurrent;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Query;

/// <summary>
/// One tenant's view of the lake at one snapshot: a private in-memory DuckDB holding a view per table the tenant
/// may read (its partitions and rows only) and nothing else, with file access limited to exactly those files and
/// the configuration locked.
/// </summary>
public sealed class QuerySession(DuckDBConnection root, string tenant, long snapshotId, IReadOnlySet<TableName> tables,
    IReadOnlySet<TableName> forbidden, IReadOnlySet<long> tableIds, bool readsLineage, FileListVariables fileLists) : IDisposable
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
    // more than planning the query that reads it.
    private const int IdleConnectionsKept = 4;
    private readonly ConcurrentBag<DuckDBConnection> _idle = [];
    private int _disposed;

    /// <summary>A connection to the session's database, ready to read its views; disposing the lease keeps it for the next query.</summary>
    public async Task<SessionConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_idle.TryTake(out var idle)) return new SessionConnection(this, idle);
        var connection = root.Duplicate();
        try
        {
            await connection.OpenAsync(cancellationToken);
            await fileLists.SetAsync(connection, cancellationToken);
            return new SessionConnection(this, connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    internal void Return(DuckDBConnection connection)
    {
        if (Volatile.Read(ref _disposed) == 0 && _idle.Count < IdleConnectionsKept)
        {
            _idle.Add(connection);
            if (Volatile.Read(ref _disposed) == 0) return;
            DisposeIdle();
        }
        else
            connection.Dispose();
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        DisposeIdle();
        root.Dispose();
    }

    private void DisposeIdle()
    {
        while (_idle.TryTake(out var connection)) connection.Dispose();
    }
}

/// <summary>A session connection lent to one query; disposing it hands it back to the session.</summary>
public sealed class SessionConnection(QuerySession session, DuckDBConnection connection) : IAsyncDisposable
{
    public DuckDBConnection Connection { get; } = connection;

    public ValueTask DisposeAsync()
    {
        session.Return(Connection);
        return ValueTask.CompletedTask;
    }
}
