using System.Globalization;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using DuckDB.NET.Data;
using Microsoft.Extensions.Options;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Query;

/// <summary>
/// Builds tenant query sessions and keeps the most recently used ones (per tenant, snapshot, table policy and the
/// tables a query names: a session holds views for those alone, so its cost does not grow with the lake's table count).
/// </summary>
public sealed class QuerySessions(LakeAccessor lakes, IOptions<DataPlaneOptions> options, ILogger<QuerySessions> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Entry> _recent = new();
    private readonly Lazy<DuckDBConnection> _parser = new(() =>
    {
        var parser = new DuckDBConnection("Data Source=:memory:");
        parser.Open();
        return parser;
    });

    // Agents ask the same questions again and again; a parse depends on the SQL text alone.
    private const int ParsesKept = 512;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ParsedQuery> _parsed = new(StringComparer.Ordinal);

    /// <summary>Parses a caller's SQL with a DuckDB that holds no data, before any session is chosen for it.</summary>
    public async Task<ParsedQuery> ParseAsync(string sql, CancellationToken cancellationToken)
    {
        if (_parsed.TryGetValue(sql, out var known)) return known;
        await using var parser = _parser.Value.Duplicate();
        await parser.OpenAsync(cancellationToken);
        var parsed = await SqlGuard.ParseAsync(parser, sql, cancellationToken);
        if (_parsed.Count >= ParsesKept) _parsed.Clear();
        _parsed[sql] = parsed;
        return parsed;
    }

    /// <summary>
    /// The tenant's session at the snapshot the selector names, built on first use and held for the caller until it
    /// disposes the hold; with views for the tables of <paramref name="only"/> alone when given (other tables of the lake
    /// then do not exist in it). A snapshot older than <paramref name="oldestReadable"/> is refused as not found; the
    /// latest is asked of the catalog anew when what this process knows is not newer than <paramref name="newerThan"/>.
    /// </summary>
    public async Task<HeldSession> GetAsync(string tenant, SnapshotSelector selector, Func<TableName, bool> allowed, string policyKey,
        CancellationToken cancellationToken, IReadOnlySet<TableName>? only = null, long oldestReadable = 0, long newerThan = -1)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var latest = selector is SnapshotSelector.LatestSnapshot;
        SnapshotInfo snapshot;
        if (latest)
        {
            snapshot = await lake.LatestAsync(TimeSpan.FromMilliseconds(options.Value.Query.LatestSnapshotMilliseconds), cancellationToken);
            if (snapshot.Id <= newerThan) snapshot = await lake.LatestAsync(TimeSpan.Zero, cancellationToken);
        }
        else
            snapshot = await ResolveAsync(lake, selector, cancellationToken);
        if (snapshot.Id < oldestReadable)
            throw new SnapshotNotFoundException(
                $"Lake snapshot {snapshot.Id} is older than this tenant's last retention run (snapshot {oldestReadable}); time travel before it is not kept.");
        var scope = $"{tenant}\u001f{policyKey}\u001f{(only is null ? "*" : string.Join(",", only.Select(t => t.ToString()).Order(StringComparer.Ordinal)))}";
        var entry = Find(scope, snapshot.Id, latest);
        var why = "time travel";
        if (entry is null && latest) (entry, why) = await CarryForwardAsync(lake, scope, snapshot.Id, cancellationToken);
        entry ??= Add(scope, snapshot.Id, latest, () => BuildAsync(lake, tenant, snapshot.Id, allowed, only, why, CancellationToken.None));
        try
        {
            return new HeldSession((await entry.Session.Value.WaitAsync(cancellationToken)).Hold());
        }
        catch (Exception e) when (entry.Session.Value.IsFaulted)
        {
            Drop(entry);
            // The latest snapshot this process remembered (for a few milliseconds) was expired meanwhile: the
            // catalog's latest is newer, and asking for it again cannot loop.
            if (e is SnapshotNotFoundException && latest && newerThan < snapshot.Id)
                return await GetAsync(tenant, selector, allowed, policyKey, cancellationToken, only, oldestReadable, newerThan: snapshot.Id);
            throw;
        }
        finally
        {
            Unclaim(entry);
        }
    }

    /// <summary>The snapshot a selector names (time travel): a query that asked for it must read exactly it.</summary>
    public async Task<long> ResolveAsync(SnapshotSelector selector, CancellationToken cancellationToken) =>
        (await ResolveAsync(await lakes.GetAsync(cancellationToken), selector, cancellationToken)).Id;

    private static async Task<SnapshotInfo> ResolveAsync(Lakehouse lake, SnapshotSelector selector, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await new CatalogReader(connection, null, lake.DataPath).ResolveAsync(selector, cancellationToken);
    }

    /// <summary>
    /// The tenant's latest session over <paramref name="tables"/> for the service's own reads (registries, checkpoints,
    /// indexing), which no table policy narrows; not older than <paramref name="newerThan"/> when given.
    /// </summary>
    public Task<HeldSession> ForServiceAsync(string tenant, IReadOnlySet<TableName> tables, CancellationToken cancellationToken, long newerThan = -1) =>
        GetAsync(tenant, SnapshotSelector.Latest, _ => true, "all", cancellationToken, tables, newerThan: newerThan);

    /// <summary>
    /// The session of this scope at this snapshot, now the most recently used, if there is one; for the latest
    /// snapshot the scope's session of the latest it knows, which may be newer than the one this request was told.
    /// </summary>
    private Entry? Find(string scope, long snapshotId, bool latest)
    {
        lock (_gate)
        {
            var node = latest
                ? Nodes().Where(n => n.Value.Scope == scope && n.Value.ForLatest && n.Value.Snapshot >= snapshotId).MaxBy(n => n.Value.Snapshot)
                : Locate(scope, snapshotId);
            return node is null ? null : Claim(node);
        }
    }

    private Entry Add(string scope, long snapshotId, bool latest, Func<Task<QuerySession>> build)
    {
        lock (_gate)
        {
            // Another request may have added it since this one looked.
            if (Locate(scope, snapshotId) is not { } node)
            {
                node = _recent.AddFirst(new Entry(scope, snapshotId, new Lazy<Task<QuerySession>>(build)));
                while (_recent.Count > Math.Max(1, options.Value.Query.CachedSessions)) Evict(_recent.Last!);
            }
            if (latest) ServeLatest(node.Value);
            return Claim(node);
        }
    }

    /// <summary>
    /// Makes the entry its scope's session for the latest snapshot and retires the ones it replaces: each holds its
    /// views' files in memory, and no request for the latest snapshot is given an older one again (call under the gate).
    /// </summary>
    private void ServeLatest(Entry entry)
    {
        entry.ForLatest = true;
        foreach (var replaced in Nodes().Where(n => n.Value != entry && n.Value.Scope == entry.Scope && n.Value.ForLatest && n.Value.Snapshot < entry.Snapshot).ToList())
            Evict(replaced);
    }

    private IEnumerable<LinkedListNode<Entry>> Nodes()
    {
        for (var node = _recent.First; node is not null; node = node.Next) yield return node;
    }

    /// <summary>The cached entry of this scope at this snapshot (call under the gate).</summary>
    private LinkedListNode<Entry>? Locate(string scope, long snapshotId) =>
        Nodes().FirstOrDefault(n => n.Value.Scope == scope && n.Value.Snapshot == snapshotId);

    /// <summary>
    /// Marks an entry the most recently used and counts a request waiting for its session (call under the gate): an
    /// entry evicted meanwhile closes its session only after every such request has held it or given up (<see cref="Unclaim"/>).
    /// </summary>
    private Entry Claim(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        _recent.AddFirst(node);
        node.Value.Waiting++;
        return node.Value;
    }

    private void Unclaim(Entry entry)
    {
        lock (_gate)
            if (--entry.Waiting == 0 && entry.Evicted) RetireWhenBuilt(entry);
    }

    /// <summary>
    /// The scope's newest cached session (once built, when it is being built), moved forward to
    /// <paramref name="snapshotId"/> when no commit since it changed a table it reads, or when the commits only added
    /// rows to them, inlined in the catalog or in files its sandbox already allows (its views of those tables are then
    /// replaced in place): agents keep querying while writers commit, and a rebuild would re-read and re-plan every
    /// file of the tables the query names. Without one, why a new session is built.
    /// </summary>
    private async Task<(Entry? Carried, string WhyNot)> CarryForwardAsync(Lakehouse lake, string scope, long snapshotId, CancellationToken cancellationToken)
    {
        Entry? older;
        lock (_gate) older = Nodes().Where(n => n.Value.Scope == scope && n.Value.Snapshot < snapshotId).MaxBy(n => n.Value.Snapshot) is { } node ? Claim(node) : null;
        if (older is null) return (null, "none cached");
        var carried = false;
        try
        {
            // One still being built is waited for: commits arriving while it builds would otherwise each start another.
            QuerySession session;
            try
            {
                session = await older.Session.Value.WaitAsync(cancellationToken);
            }
            catch (Exception) when (older.Session.Value.IsFaulted)
            {
                return (null, "the last one failed to build");
            }
            if (session.ReadsLineage) return (null, "it reads lineage, which every ingest changes");
            var changed = await lake.TablesChangedAsync(older.Snapshot, snapshotId, cancellationToken);
            if (changed is null) return (null, $"the commits since snapshot {older.Snapshot} changed the catalog");
            if (changed.Overlaps(session.TableIds) && !await TryAdvanceViewsAsync(older, session, snapshotId))
                return (null, $"the commits since snapshot {older.Snapshot} did more to its tables than add rows it may read, or its views were busy");
            lock (_gate)
            {
                if (older.Evicted) return (null, "the last one was evicted meanwhile");
                older.Snapshot = Math.Max(older.Snapshot, snapshotId);
                session.Advance(older.Snapshot);
                ServeLatest(older);
                // The caller waits for it on this claim.
                carried = true;
                return (older, "");
            }
        }
        finally
        {
            if (!carried) Unclaim(older);
        }
    }

    /// <summary>
    /// Moves the session's views forward in place, whatever becomes of the request that asked (other queries share the
    /// session); a session whose views failed halfway is not used again.
    /// </summary>
    private async Task<bool> TryAdvanceViewsAsync(Entry entry, QuerySession session, long snapshotId)
    {
        try
        {
            return await session.TryAdvanceViewsAsync(snapshotId, CancellationToken.None);
        }
        catch
        {
            Drop(entry);
            throw;
        }
    }

    /// <summary>
    /// A cached session: its scope (tenant, policy, tables named), the newest snapshot it is known to show, and whether
    /// it serves requests for the latest snapshot (or only time travel to its own).
    /// </summary>
    private sealed class Entry(string scope, long snapshot, Lazy<Task<QuerySession>> session)
    {
        public string Scope { get; } = scope;

        public long Snapshot { get; set; } = snapshot;

        public bool ForLatest { get; set; }

        /// <summary>Requests that found it and wait for its session (changed under the gate).</summary>
        public int Waiting { get; set; }

        public bool Evicted { get; set; }

        public Lazy<Task<QuerySession>> Session { get; } = session;
    }

    private async Task<QuerySession> BuildAsync(Lakehouse lake, string tenant, long snapshotId, Func<TableName, bool> allowed,
        IReadOnlySet<TableName>? only, string why, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var root = new DuckDBConnection("Data Source=:memory:");
        await root.OpenAsync(cancellationToken);
        try
        {
            var query = options.Value.Query;
            // The files are local copies, which the OS caches already: DuckDB's own copy of them cost each cached session
            // up to its memory limit (781 MB after one count over 100,000 files) and made the count no faster.
            await ExecuteAsync(root, "SET TimeZone = 'UTC'; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; " +
                "SET enable_external_file_cache = false; " +
                $"SET memory_limit = {Literal(query.MemoryLimit)}" + (query.Threads > 0 ? $"; SET threads = {query.Threads}" : ""), cancellationToken);
            var views = await TenantViews.CreateAsync(lake, root, tenant, snapshotId, allowed, only, cancellationToken, lazy: true);
            async Task<bool> AdvanceViewsAsync(DuckDBConnection database, long later, CancellationToken token)
            {
                if (await TenantViews.AdvanceAsync(lake, database, views, tenant, later, token) is not { } advanced) return false;
                views = advanced;
                return true;
            }
            HashSet<TableName> tables = [.. views.Tables];
            if (allowed(LineageTable.Name) && (only is null || only.Contains(LineageTable.Name)))
            {
                await LineageTable.CreateAsync(root, lake, tenant, snapshotId, cancellationToken);
                tables.Add(LineageTable.Name);
            }
            // From here on the session can read exactly these files and nothing else, and cannot change that.
            await SessionSandbox.LockAsync(root, views.Directories, views.Views.Paths.Values, cancellationToken);
            logger.LogInformation("Built a query session for tenant {Tenant} at lake snapshot {Snapshot} over {Tables} tables and {Files} files in {ElapsedMs} ms ({Why})",
                tenant, snapshotId, tables.Count, views.Views.Paths.Count, clock.ElapsedMilliseconds, why);
            return new QuerySession(root, tenant, snapshotId, tables, views.Forbidden, views.TableIds, tables.Contains(LineageTable.Name), views.Views.FileLists,
                new FilePruner(views.Views.FileLists, views.Columns, (table, columns, token) => lake.FileColumnStatsAsync(snapshotId, table, columns, token)),
                new SessionFiles(lake.Storage.CacheDirectory, token => lake.Reader.LocalizeAsync(views.Content, token),
                    (files, token) => lake.Reader.LocalizeAsync(files, token)), AdvanceViewsAsync);
        }
        catch
        {
            await root.DisposeAsync();
            throw;
        }
    }

    /// <summary>Takes an entry out of the cache (call under the gate); its session closes once no request waits for or holds it.</summary>
    private void Evict(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        node.Value.Evicted = true;
        if (node.Value.Waiting == 0) RetireWhenBuilt(node.Value);
    }

    /// <summary>Evicts an entry whose session cannot be used again, unless it is out of the cache already.</summary>
    private void Drop(Entry entry)
    {
        lock (_gate)
            if (_recent.Find(entry) is { } node) Evict(node);
    }

    private static void RetireWhenBuilt(Entry entry)
    {
        if (entry.Session.IsValueCreated)
            _ = entry.Session.Value.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Retire(); }, TaskScheduler.Default);
    }

    internal static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public void Dispose()
    {
        lock (_gate)
            while (_recent.Last is { } last) Evict(last);
        if (_parser.IsValueCreated) _parser.Value.Dispose();
    }
}

/// <summary><c>lineage.ingests</c>: the tenant's ingest lineage up to the session's snapshot, from the catalog database.</summary>
internal static class LineageTable
{
    public static readonly TableName Name = new("lineage", "ingests");

    public static async Task CreateAsync(DuckDBConnection session, Lakehouse lake, string tenant, long snapshotId, CancellationToken cancellationToken)
    {
        await QuerySessions.ExecuteAsync(session,
            "CREATE SCHEMA lineage; CREATE TABLE lineage.ingests(partition_id UUID, table_name VARCHAR, job_id VARCHAR, schema_version VARCHAR, " +
            "row_count BIGINT, quarantined_count BIGINT, lake_snapshot_id BIGINT, data_files JSON, caller VARCHAR, ingested_at TIMESTAMPTZ)",
            cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync(null,
            """
            SELECT CAST(partition_id AS VARCHAR), table_name, job_id, schema_version, row_count, quarantined_count, lake_snapshot_id,
                   data_files, caller, CAST(ingested_at AS VARCHAR)
            FROM dataplane_ingest_lineage WHERE tenant_id = $1 AND lake_snapshot_id <= $2 ORDER BY lake_snapshot_id
            """,
            r => "(" + string.Join(", ", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i)
                ? "NULL"
                : r.GetValue(i) is long number ? number.ToString(CultureInfo.InvariantCulture) : Literal(Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)!))) + ")",
            cancellationToken, tenant, snapshotId);
        foreach (var chunk in rows.Chunk(1000))
            await QuerySessions.ExecuteAsync(session, $"INSERT INTO lineage.ingests VALUES {string.Join(", ", chunk)}", cancellationToken);
    }
}
