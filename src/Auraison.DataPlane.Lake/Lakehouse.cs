using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Lake.Storage;
using Auraison.DataPlane.Lake.Writing;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake;

/// <summary>
/// An open lake: its catalog database, the object store behind its data_path, and an in-process DuckDB that
/// writes Parquet. Commits go through one runner (one snapshot per commit, retried on lost races).
/// </summary>
public sealed class Lakehouse : IAsyncDisposable
{
    private readonly CommitRunner _commits;
    private readonly DuckDBConnection _work;

    private Lakehouse(LakeSettings settings, CatalogDatabase catalog, IObjectStore storage, string dataPath)
    {
        Settings = settings;
        Catalog = catalog;
        Storage = storage;
        DataPath = dataPath;
        Reader = new LakeReader(this);
        _commits = new CommitRunner(catalog, dataPath, snapshot => Remember(snapshot));
        StagingDirectory = Path.Combine(settings.WorkDirectory, "staging");
        Directory.CreateDirectory(StagingDirectory);
        _work = new DuckDBConnection("Data Source=:memory:");
        _work.Open();
        using var command = _work.CreateCommand();
        // UTC makes timestamptz statistics and time partitions come out as the spec writes them.
        command.CommandText = $"SET TimeZone = 'UTC'; SET temp_directory = {SqlText.Literal(Path.Combine(settings.WorkDirectory, "spill"))}";
        command.ExecuteNonQuery();
    }

    public LakeReader Reader { get; }

    /// <summary>Where Parquet files are written before upload.</summary>
    public string StagingDirectory { get; }

    public LakeSettings Settings { get; }

    public CatalogDatabase Catalog { get; }

    public IObjectStore Storage { get; }

    /// <summary>The catalog's data_path, normalised; relative ones resolve against the catalog file's folder.</summary>
    public string DataPath { get; }

    /// <summary>
    /// Where files that are not table data live (raw objects a caller stores beside the lake): under the data path,
    /// in a directory no schema can be named, and never touched by maintenance.
    /// </summary>
    public string RawObjectsPath => DataPath + "raw-objects/";

    public static async Task<Lakehouse> OpenAsync(LakeSettings settings, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.WorkDirectory);
        var catalog = CatalogDatabase.Create(settings);
        Lakehouse? lake = null;
        try
        {
            var stored = await CatalogSchema.EnsureAsync(catalog, settings.ResolvedDataPath, cancellationToken);
            var dataPath = ResolveStoredDataPath(stored, settings);
            if (!string.IsNullOrWhiteSpace(settings.DataPath) && dataPath != settings.ResolvedDataPath)
                throw new LakeConfigurationException(
                    $"The catalog stores data_path '{dataPath}' but '{settings.ResolvedDataPath}' was configured; one catalog has one data path.");
            lake = new Lakehouse(settings, catalog, IObjectStore.Create(dataPath, settings), dataPath);
            lake.Repairs = await lake.RepairAsync(cancellationToken);
            return lake;
        }
        catch
        {
            if (lake is not null) await lake.DisposeAsync();
            else await catalog.DisposeAsync();
            throw;
        }
    }

    /// <summary>What opening the lake repaired in its catalog (one line each), for the caller to log.</summary>
    public IReadOnlyList<string> Repairs { get; private set; } = [];

    private async Task<IReadOnlyList<string>> RepairAsync(CancellationToken cancellationToken)
    {
        if (!await DuplicateSchemaRepair.IsNeededAsync(Catalog, cancellationToken)) return [];
        var repaired = await CommitAsync((commit, token) => commit.MergeDuplicateSchemasAsync(token), cancellationToken,
            new CommitOptions { Author = "auraison-dataplane", Message = "repair: merge duplicate schema rows" });
        return [.. repaired.Value.Select(line => $"{line} (snapshot {repaired.SnapshotId})")];
    }

    private static string ResolveStoredDataPath(string stored, LakeSettings settings)
    {
        if (DataPaths.IsAbsolute(stored) || !settings.IsEmbeddedCatalog) return DataPaths.Normalize(stored);
        var catalogFolder = Path.GetDirectoryName(Path.GetFullPath(settings.ResolvedCatalogFile))!;
        return DataPaths.Normalize(Path.Combine(catalogFolder, stored));
    }

    // The newest snapshot seen, and when (Environment.TickCount64); this process's own commits replace it at once.
    private sealed record Seen(SnapshotInfo Snapshot, long At);

    private Seen? _latest;

    /// <summary>
    /// Keeps the newer of what is known and <paramref name="snapshot"/>, and returns it: a catalog read that started
    /// before one of this process's commits must not replace that commit's snapshot with an older one.
    /// </summary>
    private SnapshotInfo Remember(SnapshotInfo snapshot)
    {
        while (true)
        {
            var seen = Volatile.Read(ref _latest);
            if (seen is not null && seen.Snapshot.Id > snapshot.Id) return seen.Snapshot;
            if (Interlocked.CompareExchange(ref _latest, new Seen(snapshot, Environment.TickCount64), seen) == seen) return snapshot;
        }
    }

    /// <summary>
    /// The newest snapshot, asking the catalog only when what this process knows is older than
    /// <paramref name="maxAge"/>: its own commits it knows at once, other writers' within that time.
    /// </summary>
    public async Task<SnapshotInfo> LatestAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _latest) is { } known && Environment.TickCount64 - known.At < maxAge.TotalMilliseconds) return known.Snapshot;
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        return Remember(await new CatalogReader(connection, null, DataPath).LatestAsync(cancellationToken));
    }

    /// <summary>
    /// Ids of the tables that commits after <paramref name="afterId"/> up to <paramref name="upToId"/> changed, or null
    /// when one created or dropped a table or schema, one of them has expired, or there are too many to tell cheaply:
    /// a reader that reads none of the returned tables sees the same rows at both snapshots.
    /// </summary>
    public async Task<IReadOnlySet<long>?> TablesChangedAsync(long afterId, long upToId, CancellationToken cancellationToken) =>
        (await ChangesByTableAsync(afterId, upToId, cancellationToken))?.Keys.ToHashSet();

    /// <summary>
    /// What commits after <paramref name="afterId"/> up to <paramref name="upToId"/> did to each table they changed (the
    /// kinds of <c>changes_made</c>: <c>inlined_insert</c>, <c>inserted_into_table</c>, …), or null as for
    /// <see cref="TablesChangedAsync"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, IReadOnlySet<string>>?> ChangesByTableAsync(long afterId, long upToId, CancellationToken cancellationToken)
    {
        const int MostCommits = 1000;
        if (upToId - afterId > MostCommits) return null;
        Dictionary<long, HashSet<string>> changed = [];
        var commits = await SnapshotsAsync(afterId, (int)(upToId - afterId), cancellationToken);
        // An expired snapshot in between took its changes with it: then nothing can be told.
        if (commits.Count != upToId - afterId || commits[^1].Snapshot.Id != upToId) return null;
        foreach (var snapshot in commits)
            foreach (var change in SnapshotChange.Parse(snapshot.ChangesMade))
            {
                if (change.TableId is not { } table || change.Kind == "dropped_table") return null;
                if (!changed.TryGetValue(table, out var kinds)) changed[table] = kinds = new HashSet<string>(StringComparer.Ordinal);
                kinds.Add(change.Kind);
            }
        return changed.ToDictionary(c => c.Key, IReadOnlySet<string> (c) => c.Value);
    }

    /// <summary>Snapshots after <paramref name="afterId"/>, oldest first, with what each commit recorded.</summary>
    public async Task<List<SnapshotRecord>> SnapshotsAsync(long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        return await new CatalogReader(connection, null, DataPath).SnapshotsAsync(afterId, limit, cancellationToken);
    }

    /// <summary>The tables of the newest snapshot, with their columns and tags.</summary>
    public async Task<List<LakeTable>> TablesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        var reader = new CatalogReader(connection, null, DataPath);
        return await reader.TablesAsync((await reader.LatestAsync(cancellationToken)).Id, cancellationToken);
    }

    /// <summary>When each of these snapshots was committed.</summary>
    public async Task<Dictionary<long, DateTimeOffset>> SnapshotTimesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        return await new CatalogReader(connection, null, DataPath).SnapshotTimesAsync(ids, cancellationToken);
    }

    /// <summary>The statistics of these leaf columns in each data file of the table at the snapshot (for pruning files before a read).</summary>
    public async Task<List<FileColumnStats>> FileColumnStatsAsync(long snapshotId, long tableId, IReadOnlyCollection<long> columnIds,
        CancellationToken cancellationToken)
    {
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        return await new CatalogReader(connection, null, DataPath).FileColumnStatsAsync(snapshotId, tableId, columnIds, cancellationToken);
    }

    /// <summary>Bytes of the live data files in one partition of every table partitioned first by a column of that name.</summary>
    public async Task<long> LiveBytesInPartitionAsync(string column, string value, CancellationToken cancellationToken)
    {
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        return await new CatalogReader(connection, null, DataPath).LiveBytesInPartitionAsync(column, value, cancellationToken);
    }

    /// <summary>Throws when the catalog cannot be read.</summary>
    public async Task CheckCatalogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Catalog.OpenAsync(cancellationToken);
        await connection.ScalarAsync<long>(null, "SELECT max(snapshot_id) FROM ducklake_snapshot", cancellationToken);
    }

    /// <summary>A connection to the lake's in-process DuckDB, for preparing rows to append (temp tables, files).</summary>
    public DuckDBConnection OpenWorkConnection()
    {
        var connection = _work.Duplicate();
        connection.Open();
        return connection;
    }

    /// <summary>Runs catalog changes as one commit, i.e. one snapshot.</summary>
    public async Task<Committed<T>> CommitAsync<T>(Func<CatalogCommit, CancellationToken, Task<T>> operation, CancellationToken cancellationToken,
        CommitOptions? options = null)
    {
        using var span = LakeTelemetry.Source.StartActivity("lake.commit");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var committed = await _commits.RunAsync(operation, options ?? CommitOptions.Default, cancellationToken);
        LakeTelemetry.Committed(clock.Elapsed);
        span?.SetTag("lake.snapshot_id", committed.SnapshotId);
        return committed;
    }

    /// <summary>
    /// Appends the rows of a DuckDB SELECT run on <paramref name="work"/> to the table: Parquet staged and uploaded
    /// first, then registered in one commit. Returns the new data file ids.
    /// </summary>
    public async Task<Committed<IReadOnlyList<long>>> AppendAsync(DuckDBConnection work, LakeTable table, string source,
        CancellationToken cancellationToken, CommitOptions? options = null)
    {
        var staged = await ParquetStager.WriteAsync(work, table, source, StagingDirectory, cancellationToken);
        try
        {
            await UploadAsync(table, staged, cancellationToken);
            return await CommitAsync((commit, token) => commit.AppendFilesAsync(table, staged, token), cancellationToken, options);
        }
        catch
        {
            await DeleteUploadedAsync(table, staged, CancellationToken.None);
            throw;
        }
        finally
        {
            foreach (var file in staged) File.Delete(file.LocalPath);
        }
    }

    /// <summary>Uploads staged files to their final place under the table directory, durably, before any commit names them.</summary>
    public Task UploadAsync(LakeTable table, IReadOnlyList<StagedFile> staged, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(staged, cancellationToken, async (file, token) =>
            await Storage.UploadAsync(file.LocalPath, table.Directory + file.RelativePath, token));

    /// <summary>
    /// Deletes uploaded files that no commit will name (their commit failed), so they do not linger as orphans. A
    /// file the catalog does name after all (the commit's outcome was unknown to its caller) is kept. Best effort:
    /// when the catalog or the store cannot be reached, the orphan sweep finds the files later.
    /// </summary>
    public async Task DeleteUploadedAsync(LakeTable table, IReadOnlyList<StagedFile> staged, CancellationToken cancellationToken)
    {
        if (staged.Count == 0) return;
        try
        {
            await using (var connection = await Catalog.OpenAsync(cancellationToken))
            {
                var named = await connection.ScalarAsync<long>(null,
                    $"SELECT count(*) FROM ducklake_data_file WHERE table_id = $1 AND path IN ({string.Join(", ", staged.Select(f => SqlText.Literal(f.RelativePath)))})",
                    cancellationToken, table.Id);
                if (named > 0) return;
            }
            await Parallel.ForEachAsync(staged, cancellationToken, async (file, token) => await Storage.DeleteAsync(table.Directory + file.RelativePath, token));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Left to the orphan sweep, which deletes objects no catalog row names.
        }
    }

    /// <summary>What is visible at a snapshot (tables, files, inlined rows).</summary>
    public Task<SnapshotContent> ReadAsync(SnapshotSelector selector, CancellationToken cancellationToken, ContentFilter? filter = null,
        IReadOnlyCollection<string>? onlyTables = null, bool inlinedRows = true) =>
        Reader.ReadAsync(selector, cancellationToken, filter, onlyTables, inlinedRows);

    public async ValueTask DisposeAsync()
    {
        await _work.DisposeAsync();
        await Catalog.DisposeAsync();
        (Storage as IDisposable)?.Dispose();
    }
}

public sealed class LakeConfigurationException(string message) : Exception(message);
