using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>Resolves a snapshot to its tables and files, and exposes them to a DuckDB connection as views.</summary>
public sealed class LakeReader(Lakehouse lake)
{
    private const int ParallelDownloads = 8;

    /// <summary>
    /// What is visible at the snapshot, narrowed by <paramref name="filter"/> (for instance to one tenant's partitions
    /// and rows): what it excludes is not part of the content at all.
    /// <paramref name="onlyTables"/> (<c>schema.table</c>, lower case) keeps the catalog from reading any other table.
    /// Without <paramref name="inlinedRows"/> rows kept in the catalog are counted, not read.
    /// </summary>
    public async Task<SnapshotContent> ReadAsync(SnapshotSelector selector, CancellationToken cancellationToken,
        ContentFilter? filter = null, IReadOnlyCollection<string>? onlyTables = null, bool inlinedRows = true)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await BeginReadAsync(connection, cancellationToken);
        var catalog = new CatalogReader(connection, transaction, lake.DataPath);
        var snapshot = await catalog.ResolveAsync(selector, cancellationToken);
        var tables = (await catalog.TablesAsync(snapshot.Id, cancellationToken, qualifiedNames: onlyTables, tableIds: filter?.TableIds))
            .Where(t => filter?.Table?.Invoke(t) ?? true).ToList();
        var byId = tables.ToDictionary(t => t.Id);
        var files = (await catalog.DataFilesAsync(snapshot.Id, byId, cancellationToken))
            .Where(f => filter?.File?.Invoke(byId[f.TableId], f) ?? true).ToLookup(f => f.TableId);

        var inlined = new InlinedDataReader(connection, transaction, catalog);
        var withDeletes = await inlined.TablesWithInlinedDeletesAsync(cancellationToken);
        var data = new Dictionary<long, TableContent>();
        foreach (var (table, inlinedPart) in await InlinedAsync(inlined, tables, snapshot.Id, filter, inlinedRows, cancellationToken))
            data[table.Id] = inlinedPart with
            {
                Files = files[table.Id].ToList(),
                InlinedDeletes = withDeletes.Contains(table.Id)
                    ? await inlined.DeletedPositionsAsync(table.Id, snapshot.Id, cancellationToken)
                    : new Dictionary<long, List<long>>(),
            };
        return new SnapshotContent(snapshot, tables, data);
    }

    /// <summary>
    /// One view of the catalog for every statement of a read (repeatable read on PostgreSQL, DuckDB's snapshot
    /// isolation embedded): an expiry committing between them would otherwise leave a snapshot that resolved without its files.
    /// </summary>
    private static async Task<System.Data.Common.DbTransaction> BeginReadAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(
            connection is Npgsql.NpgsqlConnection ? System.Data.IsolationLevel.RepeatableRead : System.Data.IsolationLevel.Unspecified, cancellationToken);

    /// <summary>Changes to a table that content can follow without reading the table anew: rows inserted, inlined or in new files, and inlined rows flushed to files.</summary>
    private static readonly IReadOnlySet<string> Followed = new HashSet<string>(StringComparer.Ordinal)
        { SnapshotChange.InlinedInsertKind, "inserted_into_table", "inline_flush", "flushed_inlined" };

    /// <summary>
    /// <paramref name="content"/> moved forward to snapshot <paramref name="snapshotId"/> when the commits after it
    /// changed its tables only by inserting rows (kept in the catalog or in new files) or flushing inlined rows to files:
    /// each table changed keeps its files, followed by those added since, and its inlined rows are read anew (both
    /// narrowed by <paramref name="filter"/>, which must be the one it was read with).
    /// Null when a commit did anything else to one of its tables (files ended, rows deleted, columns altered) or
    /// created or dropped a table, or when the commits in between cannot be told.
    /// </summary>
    public async Task<SnapshotContent?> AdvanceAsync(SnapshotContent content, long snapshotId, ContentFilter? filter, CancellationToken cancellationToken)
    {
        var changes = await lake.ChangesByTableAsync(content.Snapshot.Id, snapshotId, cancellationToken);
        if (changes is null) return null;
        var changed = content.Tables.Where(t => changes.ContainsKey(t.Id)).ToList();
        if (changed.Any(t => !changes[t.Id].IsSubsetOf(Followed))) return null;
        var withFiles = changed.Where(t => changes[t.Id].Any(kind => kind != SnapshotChange.InlinedInsertKind)).ToDictionary(t => t.Id);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await BeginReadAsync(connection, cancellationToken);
        var catalog = new CatalogReader(connection, transaction, lake.DataPath);
        var snapshot = await catalog.ResolveAsync(SnapshotSelector.ById(snapshotId), cancellationToken);
        if (withFiles.Count > 0 && await catalog.FilesEndedOrDeletedFromAsync(withFiles.Keys, content.Snapshot.Id, snapshot.Id, cancellationToken)) return null;
        var added = (withFiles.Count == 0 ? [] : await catalog.DataFilesAsync(snapshot.Id, withFiles, cancellationToken, writtenAfter: content.Snapshot))
            .Where(f => filter?.File?.Invoke(withFiles[f.TableId], f) ?? true).ToLookup(f => f.TableId);
        var data = content.Data.ToDictionary();
        foreach (var (table, inlinedPart) in await InlinedAsync(new InlinedDataReader(connection, transaction, catalog), changed, snapshot.Id, filter, true,
                     cancellationToken))
        {
            var files = data[table.Id].Files;
            data[table.Id] = inlinedPart with { Files = added[table.Id].Any() ? [.. files, .. added[table.Id]] : files, InlinedDeletes = data[table.Id].InlinedDeletes };
        }
        return new SnapshotContent(snapshot, content.Tables, data);
    }

    /// <summary>Each table's rows inlined in the catalog at the snapshot (counted only, without <paramref name="read"/>), as content without files.</summary>
    private static async Task<List<(LakeTable Table, TableContent Inlined)>> InlinedAsync(InlinedDataReader inlined, IReadOnlyList<LakeTable> tables,
        long snapshotId, ContentFilter? filter, bool read, CancellationToken cancellationToken)
    {
        var byId = tables.ToDictionary(t => t.Id);
        string? Predicate(long tableId) => filter?.InlinedRows?.Invoke(byId[tableId]);
        var inlinedTables = await inlined.TablesAsync(byId.Keys, cancellationToken);
        var counts = await inlined.CountsAsync(inlinedTables, snapshotId, Predicate, cancellationToken);
        List<(LakeTable, TableContent)> result = [];
        foreach (var table in tables)
        {
            List<InlinedRow> rows = [];
            var own = inlinedTables.Where(t => t.TableId == table.Id && counts.GetValueOrDefault(t.Name).Count > 0).ToList();
            if (read)
                foreach (var source in own)
                    rows.AddRange(await inlined.RowsAsync(source, snapshotId, Predicate(table.Id), cancellationToken));
            result.Add((table, TableContent.Empty with
            {
                InlinedRows = rows,
                InlinedRowCount = own.Sum(t => counts[t.Name].Count),
                InlinedNewestSnapshot = own.Select(t => counts[t.Name].Newest).Max(),
            }));
        }
        return result;
    }

    /// <summary>
    /// Creates one view per table (<c>"schema"."table"</c>) in the connection's database. A row filter, when given
    /// for a table, becomes part of the view: callers cannot reach the rows it excludes through the view. Files that
    /// <paramref name="passesFilter"/> vouches for (every row passes, e.g. by its partition value) are read unfiltered.
    /// <paramref name="columns"/>, when given, is what the view shows of a table: which columns, under which names.
    /// Returns the local paths the views read and the variables holding their long file lists, which another
    /// connection to the database sets with <see cref="FileListVariables.SetAsync"/> before it reads the views.
    /// With <paramref name="lazy"/>, files in an object store's cache are fetched only where creating a view needs
    /// them (files read one by one, delete files, lists short enough to stay literals, the first file of the others,
    /// whose variables this connection sets to that file alone); DuckDB checks that every file of a list exists when
    /// it binds the list, so a query over lists whose files are not all fetched fails until
    /// <see cref="LocalizeAsync(IEnumerable{string}, CancellationToken)"/> fetches them.
    /// </summary>
    public async Task<CreatedViews> CreateViewsAsync(DuckDBConnection target, SnapshotContent content, CancellationToken cancellationToken,
        Func<LakeTable, string?>? rowFilter = null, Func<LakeTable, DataFileInfo, bool>? passesFilter = null,
        Func<LakeTable, IReadOnlyList<(string Stored, string Shown)>>? columns = null, bool lazy = false)
    {
        await ExecuteAsync(target, PlanningSettings, cancellationToken);
        lazy &= lake.Storage.CacheDirectory is not null;
        var views = new CreatedViews(await LocalPathsAsync(FilesOf(content), lazy, cancellationToken), new FileListVariables()) { Lazy = lazy };
        await CreateOrReplaceViewsAsync(target, content, content.Tables, views, rowFilter, passesFilter, columns, cancellationToken);
        return views;
    }

    /// <summary>
    /// Moves the views that <paramref name="views"/> describes, made over <paramref name="previous"/>, forward to
    /// <paramref name="content"/>, moved forward from it by <see cref="AdvanceAsync"/>. A view whose table gained only
    /// inlined rows and reads them from its macro keeps reading them there, and the macro is replaced; the other views
    /// of changed tables are replaced, over the same list variables (a list that grew reads its variable and the files
    /// added as literals), so that connections that set them need nothing new. False, with the views as they were,
    /// when a list grew too much to follow so. The filters and columns must be those the views were created with.
    /// </summary>
    public async Task<bool> AdvanceViewsAsync(DuckDBConnection target, CreatedViews views, SnapshotContent previous, SnapshotContent content,
        CancellationToken cancellationToken, Func<LakeTable, string?>? rowFilter = null, Func<LakeTable, DataFileInfo, bool>? passesFilter = null,
        Func<LakeTable, IReadOnlyList<(string Stored, string Shown)>>? columns = null)
    {
        var changed = content.Tables.Where(t => !ReferenceEquals(content.Data[t.Id], previous.Data[t.Id])).ToList();
        var added = content.FilesAddedSince(previous).Select(f => f.Path).ToList();
        var local = await LocalPathsAsync(added, views.Lazy, cancellationToken);
        var noted = local.Where(p => views.AddPath(p.Key, p.Value)).Select(p => p.Key).ToList();
        var macroOnly = changed.Where(t => ReferenceEquals(content.Data[t.Id].Files, previous.Data[t.Id].Files) && views.InlinedRowMacros.Contains(t.Id)).ToList();
        var macros = views.InlinedRowMacros.ToList();
        List<(LakeTable Table, string? Macro, string Body)> made;
        views.FileLists.Freeze();
        try
        {
            made = await PrepareViewsAsync(content, changed.Except(macroOnly).ToList(), views, rowFilter, passesFilter, columns, cancellationToken);
        }
        finally
        {
            views.FileLists.Thaw();
        }
        if (views.FileLists.Outgrown)
        {
            // Nothing was created: the views stay as they were.
            views.InlinedRowMacros.IntersectWith(macros);
            foreach (var path in noted) views.RemovePath(path);
            return false;
        }
        foreach (var table in macroOnly)
            await ExecuteAsync(target, InlinedRowMacros.ReplaceSql(table, content.Data[table.Id].InlinedRows), cancellationToken);
        await ExecuteViewsAsync(target, made, views, cancellationToken);
        return true;
    }

    private async Task CreateOrReplaceViewsAsync(DuckDBConnection target, SnapshotContent content, IReadOnlyList<LakeTable> tables, CreatedViews views,
        Func<LakeTable, string?>? rowFilter, Func<LakeTable, DataFileInfo, bool>? passesFilter,
        Func<LakeTable, IReadOnlyList<(string Stored, string Shown)>>? columns, CancellationToken cancellationToken) =>
        await ExecuteViewsAsync(target, await PrepareViewsAsync(content, tables, views, rowFilter, passesFilter, columns, cancellationToken), views,
            cancellationToken);

    /// <summary>Each table's view SQL (and the macro of its inlined rows, when it pays off), with the files the views bind fetched.</summary>
    private async Task<List<(LakeTable Table, string? Macro, string Body)>> PrepareViewsAsync(SnapshotContent content, IReadOnlyList<LakeTable> tables,
        CreatedViews views, Func<LakeTable, string?>? rowFilter, Func<LakeTable, DataFileInfo, bool>? passesFilter,
        Func<LakeTable, IReadOnlyList<(string Stored, string Shown)>>? columns, CancellationToken cancellationToken)
    {
        var bound = views.Lazy ? new BoundFiles(views) : null;
        List<(LakeTable Table, string? Macro, string Body)> made = [];
        foreach (var table in tables)
        {
            var data = content.Data[table.Id];
            var macro = data.InlinedRows.Count > 0 && InlinedRowMacros.PayOff(data) ? InlinedRowMacros.ReplaceSql(table, data.InlinedRows) : null;
            if (macro is not null) views.InlinedRowMacros.Add(table.Id);
            made.Add((table, macro, ViewSql(table, data, content.Snapshot.Id, views, bound, rowFilter, passesFilter, columns)));
        }
        // What the views bind is fetched in one go, before the first of them is created.
        if (bound is not null) await LocalizeAsync(bound.Paths, cancellationToken);
        return made;
    }

    private static async Task ExecuteViewsAsync(DuckDBConnection target, List<(LakeTable Table, string? Macro, string Body)> made, CreatedViews views,
        CancellationToken cancellationToken)
    {
        foreach (var schema in made.Select(m => m.Table.SchemaName).Distinct(StringComparer.Ordinal))
            await ExecuteAsync(target, $"CREATE SCHEMA IF NOT EXISTS {SqlText.Identifier(schema)}", cancellationToken);
        await views.FileLists.SetNewAsync(target, views.Lazy, cancellationToken);
        foreach (var (table, macro, body) in made)
        {
            if (macro is not null) await ExecuteAsync(target, macro, cancellationToken);
            await ExecuteAsync(target, $"CREATE OR REPLACE VIEW {SqlText.Qualified(table.SchemaName, table.Name)} AS {body}", cancellationToken);
        }
    }

    /// <summary>The SELECT a table's view is made of; <paramref name="bound"/>, when given, notes the files it binds.</summary>
    private static string ViewSql(LakeTable table, TableContent data, long snapshotId, CreatedViews views, BoundFiles? bound,
        Func<LakeTable, string?>? rowFilter, Func<LakeTable, DataFileInfo, bool>? passesFilter,
        Func<LakeTable, IReadOnlyList<(string Stored, string Shown)>>? columns)
    {
        var inlined = views.InlinedRowMacros.Contains(table.Id) ? InlinedRowMacros.SelectSql(table) : null;
        string Scan(TableContent part, string? inlinedRows) => TableScanSql.Build(table, part, snapshotId,
            bound is null ? path => views.Paths[path] : bound.LocalPath, bound is null ? views.FileLists.Render : bound.Render, inlinedRows);
        string body;
        if (rowFilter?.Invoke(table) is { } filter)
        {
            var byVouched = data.Files.ToLookup(f => passesFilter?.Invoke(table, f) == true);
            var vouched = byVouched[true].ToList();
            var rest = data with { Files = byVouched[false].ToList() };
            var filtered = rest.Files.Count > 0 || rest.InlinedRows.Count > 0 || inlined is not null || vouched.Count == 0
                ? $"SELECT * FROM ({Scan(rest, inlined)}) AS scan WHERE {filter}"
                : null;
            body = vouched.Count == 0 ? filtered!
                : $"SELECT * FROM ({Scan(new TableContent(vouched, [], data.InlinedDeletes), null)}) AS vouched" + (filtered is null ? "" : $"\nUNION ALL\n{filtered}");
        }
        else
            body = Scan(data, inlined);
        return columns?.Invoke(table) is { } shown
            ? $"SELECT {string.Join(", ", shown.Select(c => $"{SqlText.Identifier(c.Stored)} AS {SqlText.Identifier(c.Shown)}"))} FROM ({body}) AS stored"
            : body;
    }

    /// <summary>
    /// Set in the database of the views: a view is a UNION ALL of its files' scan and the rows inlined in the catalog,
    /// and DuckDB's common-subplan optimizer compares the union's children with the whole file list each time a query
    /// is planned (1.2 s of a query's planning at 100,000 files, 0.01 s without it). What it would save, a scan
    /// repeated within one query, is rare in what agents ask.
    /// </summary>
    private const string PlanningSettings = "SET disabled_optimizers = 'common_subplan'";

    /// <summary>Local copies of every file the snapshot reads (the object store itself when it is a local directory).</summary>
    public Task<Dictionary<string, string>> LocalizeAsync(SnapshotContent content, CancellationToken cancellationToken) =>
        LocalizeAsync(FilesOf(content), cancellationToken);

    /// <summary>Where the files' local copies are, by lake path: fetched now, or (<paramref name="lazy"/>) where a later fetch puts them.</summary>
    private async Task<Dictionary<string, string>> LocalPathsAsync(IEnumerable<string> paths, bool lazy, CancellationToken cancellationToken) =>
        lazy ? paths.ToDictionary(path => path, lake.Storage.LocalPathOf, StringComparer.Ordinal) : await LocalizeAsync(paths, cancellationToken);

    /// <summary>Local copies of the files at <paramref name="paths"/> (lake paths), by lake path.</summary>
    public async Task<Dictionary<string, string>> LocalizeAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var local = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = ParallelDownloads, CancellationToken = cancellationToken },
            async (path, token) => local[path] = await lake.Storage.GetLocalPathAsync(path, token));
        return new Dictionary<string, string>(local, StringComparer.Ordinal);
    }

    /// <summary>Every file the snapshot reads: data files and their delete files.</summary>
    private static IEnumerable<string> FilesOf(SnapshotContent content) =>
        content.Data.Values.SelectMany(d => d.Files).SelectMany(f => f.Deletes is null ? [f.Path] : new[] { f.Path, f.Deletes.Path })
            .Distinct(StringComparer.Ordinal);

    /// <summary>The positions a data file's delete file removes (none without one).</summary>
    public async Task<List<long>> DeletedPositionsAsync(DuckDBConnection work, DataFileInfo file, CancellationToken cancellationToken)
    {
        if (file.Deletes is null) return [];
        var local = await lake.Storage.GetLocalPathAsync(file.Deletes.Path, cancellationToken);
        await using var command = work.CreateCommand();
        command.CommandText = $"SELECT pos FROM read_parquet({SqlText.Literal(local)}) ORDER BY pos";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<long> positions = [];
        while (await reader.ReadAsync(cancellationToken)) positions.Add(reader.GetInt64(0));
        return positions;
    }

    private static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// What <see cref="LakeReader.CreateViewsAsync"/> made: the local copy of each file the views read, the variables
/// listing them, and the tables whose views read inlined rows from their macro (<see cref="Reading.InlinedRowMacros"/>).
/// </summary>
public sealed class CreatedViews(Dictionary<string, string> paths, FileListVariables fileLists)
{
    /// <summary>The local copy of each file the views read, by lake path.</summary>
    public IReadOnlyDictionary<string, string> Paths => paths;

    public FileListVariables FileLists { get; } = fileLists;

    /// <summary>Notes the local copies of files views moved forward read (<see cref="LakeReader.AdvanceViewsAsync"/>); false for one already noted.</summary>
    internal bool AddPath(string path, string local) => paths.TryAdd(path, local);

    internal void RemovePath(string path) => paths.Remove(path);

    /// <summary>Whether files are fetched as reads need them rather than all before the views were made.</summary>
    public bool Lazy { get; init; }

    internal HashSet<long> InlinedRowMacros { get; } = [];
}

/// <summary>
/// The lake files creating a view binds: every file read on its own (rows deleted, merged snapshots, delete files)
/// or in a list short enough to stay a literal, and the first file of each list kept as a variable.
/// </summary>
internal sealed class BoundFiles(CreatedViews views)
{
    // The local paths handed out, and those of them read through a variable: the same string instances, so telling
    // them apart hashes references, not 100,000 paths.
    private readonly List<(string Path, string Local)> _read = [];
    private readonly HashSet<string> _inVariables = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _firstOfVariables = [];

    public IEnumerable<string> Paths =>
        _read.Where(r => !_inVariables.Contains(r.Local)).Select(r => r.Path).Concat(_firstOfVariables).Distinct(StringComparer.Ordinal);

    public string LocalPath(string path)
    {
        var local = views.Paths[path];
        _read.Add((path, local));
        return local;
    }

    public string Render(IReadOnlyList<DataFileInfo> files, IReadOnlyList<string> paths)
    {
        var sql = views.FileLists.Render(files, paths, out var inVariable);
        if (inVariable > 0)
        {
            _inVariables.UnionWith(paths.Take(inVariable));
            _firstOfVariables.Add(files[0].Path);
        }
        return sql;
    }
}
