using System.Collections.Concurrent;
using Auraison.DataPlane.Schema;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Query;

/// <summary>
/// One tenant's view of the lake at one snapshot: a private in-memory DuckDB holding a view per table the tenant
/// may read (its partitions and rows only) and nothing else, with file access limited to exactly those files and
/// the configuration locked.
/// </summary>
public sealed class QuerySession(DuckDBConnection root, string tenant, long snapshotId, IReadOnlySet<TableName> tables,
    IReadOnlySet<TableName> forbidden) : IDisposable
{
    public string Tenant { get; } = tenant;

    public long SnapshotId { get; } = snapshotId;

    /// <summary>Tables the tenant can query in this session.</summary>
    public IReadOnlySet<TableName> Tables { get; } = tables;

    /// <summary>Tables that exist but the tenant's policy does not allow.</summary>
    public IReadOnlySet<TableName> Forbidden { get; } = forbidden;

    // Result column types by SQL text: a snapshot's tables never change, so a repeated query skips its DESCRIBE.
    private const int RememberedQueries = 256;
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _columnTypes = new(StringComparer.Ordinal);

    public IReadOnlyList<string>? ColumnTypes(string sql) => _columnTypes.GetValueOrDefault(sql);

    public IReadOnlyList<string>? RememberColumnTypes(string sql, IReadOnlyList<string>? types)
    {
        if (types is not null && _columnTypes.Count < RememberedQueries) _columnTypes.TryAdd(sql, types);
        return types;
    }

    public async Task<DuckDBConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = root.Duplicate();
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public void Dispose() => root.Dispose();
}
