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
        var catalog = new CatalogReader(connection, null, lake.DataPath);
        var snapshot = await catalog.ResolveAsync(selector, cancellationToken);
        var tables = (await catalog.TablesAsync(snapshot.Id, cancellationToken, qualifiedNames: onlyTables, tableIds: filter?.TableIds))
            .Where(t => filter?.Table?.Invoke(t) ?? true).ToList();
        var byId = tables.ToDictionary(t => t.Id);
        var files = (await catalog.DataFilesAsync(snapshot.Id, byId, cancellationToken))
            .Where(f => filter?.File?.Invoke(byId[f.TableId], f) ?? true).ToLookup(f => f.TableId);

        var inlined = new InlinedDataReader(connection, null, catalog);
        string? Predicate(long tableId) => filter?.InlinedRows?.Invoke(byId[tableId]);
        var inlinedTables = await inlined.TablesAsync(byId.Keys, cancellationToken);
        var counts = await inlined.CountsAsync(inlinedTables, snapshot.Id, Predicate, cancellationToken);
        var withDeletes = await inlined.TablesWithInlinedDeletesAsync(cancellationToken);
        var data = new Dictionary<long, TableContent>();
        foreach (var table in tables)
        {
            List<InlinedRow> rows = [];
            var own = inlinedTables.Where(t => t.TableId == table.Id && counts.GetValueOrDefault(t.Name).Count > 0).ToList();
            if (inlinedRows)
                foreach (var source in own)
                    rows.AddRange(await inlined.RowsAsync(source, snapshot.Id, Predicate(table.Id), cancellationToken));
            data[table.Id] = new TableContent(files[table.Id].ToList(), rows,
                withDeletes.Contains(table.Id) ? await inlined.DeletedPositionsAsync(table.Id, snapshot.Id, cancellationToken) : new Dictionary<long, List<long>>())
            {
                InlinedRowCount = own.Sum(t => counts[t.Name].Count),
                InlinedNewestSnapshot = own.Select(t => counts[t.Name].Newest).Max(),
            };
        }
        return new SnapshotContent(snapshot, tables, data);
    }

    /// <summary>
    /// Creates one view per table (<c>"schema"."table"</c>) in the connection's database. A row filter, when given
    /// for a table, becomes part of the view: callers cannot reach the rows it excludes through the view. Files that
    /// <paramref name="passesFilter"/> vouches for (every row passes, e.g. by its partition value) are read unfiltered.
    /// <paramref name="columns"/>, when given, is what the view shows of a table: which columns, under which names.
    /// Returns the local paths the views read and the variables holding their long file lists, which another
    /// connection to the database sets with <see cref="FileListVariables.SetAsync"/> before it reads the views.
    /// </summary>
    public async Task<CreatedViews> CreateViewsAsync(DuckDBConnection target, SnapshotContent content, CancellationToken cancellationToken,
        Func<LakeTable, string?>? rowFilter = null, Func<LakeTable, DataFileInfo, bool>? passesFilter = null,
        Func<LakeTable, IReadOnlyList<(string Stored, string Shown)>>? columns = null)
    {
        var localPaths = await LocalizeAsync(content, cancellationToken);
        var fileLists = new FileListVariables();
        await ExecuteAsync(target, PlanningSettings, cancellationToken);
        foreach (var schema in content.Tables.Select(t => t.SchemaName).Distinct(StringComparer.Ordinal))
            await ExecuteAsync(target, $"CREATE SCHEMA IF NOT EXISTS {SqlText.Identifier(schema)}", cancellationToken);
        foreach (var table in content.Tables)
        {
            var data = content.Data[table.Id];
            string Scan(TableContent part) => TableScanSql.Build(table, part, content.Snapshot.Id, path => localPaths[path], fileLists.Render);
            string body;
            if (rowFilter?.Invoke(table) is { } filter)
            {
                var vouched = data.Files.Where(f => passesFilter?.Invoke(table, f) == true).ToList();
                var rest = data with { Files = data.Files.Except(vouched).ToList() };
                var filtered = rest.Files.Count > 0 || rest.InlinedRows.Count > 0 || vouched.Count == 0 ? $"SELECT * FROM ({Scan(rest)}) AS scan WHERE {filter}" : null;
                body = vouched.Count == 0 ? filtered!
                    : $"SELECT * FROM ({Scan(new TableContent(vouched, [], data.InlinedDeletes))}) AS vouched" + (filtered is null ? "" : $"\nUNION ALL\n{filtered}");
            }
            else
                body = Scan(data);
            if (columns?.Invoke(table) is { } shown)
                body = $"SELECT {string.Join(", ", shown.Select(c => $"{SqlText.Identifier(c.Stored)} AS {SqlText.Identifier(c.Shown)}"))} FROM ({body}) AS stored";
            await fileLists.SetNewAsync(target, cancellationToken);
            await ExecuteAsync(target, $"CREATE OR REPLACE VIEW {SqlText.Qualified(table.SchemaName, table.Name)} AS {body}", cancellationToken);
        }
        return new CreatedViews(localPaths.Values, fileLists);
    }

    /// <summary>
    /// Set in the database of the views: a view is a UNION ALL of its files' scan and the rows inlined in the catalog,
    /// and DuckDB's common-subplan optimizer compares the union's children with the whole file list each time a query
    /// is planned (1.2 s of a query's planning at 100,000 files, 0.01 s without it). What it would save, a scan
    /// repeated within one query, is rare in what agents ask.
    /// </summary>
    private const string PlanningSettings = "SET disabled_optimizers = 'common_subplan'";

    /// <summary>Local copies of every file the snapshot reads (the object store itself when it is a local directory).</summary>
    public async Task<Dictionary<string, string>> LocalizeAsync(SnapshotContent content, CancellationToken cancellationToken)
    {
        var paths = content.Data.Values.SelectMany(d => d.Files)
            .SelectMany(f => f.Deletes is null ? [f.Path] : new[] { f.Path, f.Deletes.Path })
            .Distinct(StringComparer.Ordinal).ToList();
        var local = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = ParallelDownloads, CancellationToken = cancellationToken },
            async (path, token) => local[path] = await lake.Storage.GetLocalPathAsync(path, token));
        return new Dictionary<string, string>(local, StringComparer.Ordinal);
    }

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

/// <summary>What <see cref="LakeReader.CreateViewsAsync"/> made: the local files the views read and the variables listing them.</summary>
public sealed record CreatedViews(IReadOnlyCollection<string> LocalPaths, FileListVariables FileLists);
