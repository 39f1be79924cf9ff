using System.Globalization;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using DuckDB.NET.Data;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Query;

public sealed record QueryColumn(string Name, string Type);

public sealed record QueryReply(IReadOnlyList<QueryColumn> Columns, IReadOnlyList<object?[]> Rows, int RowCount, bool Truncated, long LakeSnapshotId);

/// <summary>A query refused or failed: the status and message to answer with.</summary>
public sealed class QueryFailedException(int status, string title, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}

/// <summary>A session's local copy of a lake file is gone (evicted from the cache).</summary>
public sealed class SessionFilesGoneException(Exception inner) : Exception("A file the query session reads left the local cache.", inner);

/// <summary>The session's views moved past the snapshot a query asked for before it bound them: a session built for that snapshot answers.</summary>
public sealed class SessionMovedException() : Exception("The query session moved to a later snapshot.");

/// <summary>Runs one guarded query in a tenant's session, with the row cap and the timeout.</summary>
public sealed class QueryRunner(IOptions<DataPlaneOptions> options, LakeAccessor lakes, Telemetry.DataPlaneMetrics metrics)
{
    /// <remarks>
    /// With <paramref name="snapshot"/> (time travel) the query must read that snapshot's rows: a session whose views
    /// moved past it since it was chosen throws <see cref="SessionMovedException"/>.
    /// </remarks>
    public async Task<QueryReply> RunAsync(QuerySession session, ParsedQuery query, int? maxRows, CancellationToken cancellationToken, long? snapshot = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var reply = await WithFilesAsync(session, () => RunGuardedAsync(session, query, maxRows, snapshot, cancellationToken), cancellationToken);
            metrics.Queried("ok", clock.Elapsed);
            return reply;
        }
        catch (QueryFailedException failed)
        {
            metrics.Queried(failed.Status == StatusCodes.Status504GatewayTimeout ? "timeout" : "refused", clock.Elapsed);
            throw;
        }
    }

    private async Task<QueryReply> RunGuardedAsync(QuerySession session, ParsedQuery query, int? maxRows, long? snapshot, CancellationToken cancellationToken)
    {
        var limits = options.Value.Query;
        var cap = Math.Clamp(maxRows ?? limits.MaxRows, 1, limits.MaxRows);
        if (SqlGuard.Check(query, session.Tables, session.Forbidden) is { } refusal) throw Refused(refusal);
        var sql = query.Sql;
        await using var lease = await session.ConnectAsync(cancellationToken, await session.NarrowAsync(FilterBounds.Of(query), cancellationToken));
        var connection = lease.Connection;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(limits.TimeoutSeconds));
        try
        {
            var ((columns, rows), since, upTo) = await session.BindAsync(
                () => Task.FromResult(Read(connection, Capped(sql, cap), session, timeout.Token)), timeout.Token);
            if (snapshot is { } asked && (asked < since || asked > upTo)) throw new SessionMovedException();
            var truncated = rows.Count > cap;
            if (truncated) rows.RemoveAt(cap);
            return new QueryReply(columns.Select(c => new QueryColumn(c.Name, c.Type.Name)).ToList(), rows, rows.Count, truncated, snapshot ?? upTo);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new QueryFailedException(StatusCodes.Status504GatewayTimeout, "Query timeout",
                $"The query ran longer than {limits.TimeoutSeconds} s and was cancelled ({e.GetType().Name}).");
        }
        catch (DuckDbQueryException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (session.Files.Gone(e)) throw new SessionFilesGoneException(e);
            throw new QueryFailedException(StatusCodes.Status400BadRequest, "Query failed", Sanitize(e.Message, await lakes.GetAsync(cancellationToken)));
        }
    }

    // The row past the cap tells that the result was cut; EXPLAIN answers a few rows and cannot be a subquery.
    private static string Capped(string sql, int cap) =>
        SqlGuard.IsExplain(sql) ? sql : $"SELECT * FROM {SqlGuard.AsSubquery(sql)} LIMIT {(cap + 1).ToString(CultureInfo.InvariantCulture)}";

    // The session remembers each query's columns: a repeated query whose result needs converting runs converted at once.
    private static (IReadOnlyList<ResultColumn> Columns, List<object?[]> Rows) Read(DuckDBConnection connection, string sql, QuerySession session,
        CancellationToken cancellationToken)
    {
        var known = session.Columns(sql);
        var shown = DirectResult.ReadShown(connection, sql, known, cancellationToken);
        if (known is null) session.RememberColumns(sql, shown.Columns);
        return shown;
    }

    public static QueryFailedException Refused(GuardRefusal refusal) =>
        new(refusal.Status, refusal.Status == 403 ? "Query not allowed" : "Invalid query", refusal.Reason);

    /// <summary>Runs the service's own SQL (not a caller's) in a session, with positional parameters; rows as name → JSON value.</summary>
    public static Task<List<Dictionary<string, object?>>> RunTrustedAsync(QuerySession session, string sql, CancellationToken cancellationToken,
        params object?[] args) =>
        WithFilesAsync(session, async () =>
        {
            try
            {
                return await ReadTrustedAsync(session, sql, cancellationToken, args);
            }
            catch (DuckDbQueryException e) when (session.Files.Gone(e))
            {
                throw new SessionFilesGoneException(e);
            }
        }, cancellationToken);

    /// <summary>
    /// Runs a read; when a file it needs is not in the local cache (not fetched yet, or evicted since), fetches every
    /// file of the session that is not and runs it once more (a cache too small for one read's files still fails).
    /// </summary>
    private static async Task<T> WithFilesAsync<T>(QuerySession session, Func<Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await read();
        }
        catch (SessionFilesGoneException)
        {
            await session.Files.FetchAllAsync(cancellationToken);
            return await read();
        }
    }

    private static async Task<List<Dictionary<string, object?>>> ReadTrustedAsync(QuerySession session, string sql, CancellationToken cancellationToken,
        object?[] args)
    {
        await using var lease = await session.ConnectAsync(cancellationToken);
        var (columns, rows) = DirectResult.ReadShown(lease.Connection, sql, null, cancellationToken, args);
        return rows.Select(row => columns.Select((column, i) => (column.Name, Value: row[i])).ToDictionary(c => c.Name, c => c.Value)).ToList();
    }

    /// <summary>DuckDB's message without the server's paths.</summary>
    private static string Sanitize(string message, Lake.Lakehouse lake) => message
        .Replace(lake.DataPath, "<lake>/", StringComparison.Ordinal)
        .Replace(lake.Settings.WorkDirectory, "<work>", StringComparison.Ordinal)
        .Trim();
}
