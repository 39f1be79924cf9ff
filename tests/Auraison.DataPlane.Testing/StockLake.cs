using System.Text.Json;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Storage;
using System.Data.Common;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// A test lake as the reference DuckDB sees it, for as long as nothing else has the lake open. Embedded lakes are
/// attached as they are. A production lake is exported: its catalog tables are copied from PostgreSQL into a DuckDB
/// file whose data_path is a local mirror of the S3 prefix; what the stock CLI writes is imported back (catalog
/// rows to PostgreSQL, new files uploaded, deleted ones deleted), as a stock DuckDB with the postgres and httpfs
/// extensions would have written it.
/// </summary>
public sealed class StockLake : IAsyncDisposable
{
    private readonly TestLake _lake;
    private readonly ReferenceDuckDb _reference;
    private readonly string _folder;
    private readonly string? _mirror;

    private StockLake(TestLake lake, ReferenceDuckDb reference, string folder, string catalogFile, string? mirror)
    {
        _lake = lake;
        _reference = reference;
        _folder = folder;
        CatalogFile = catalogFile;
        _mirror = mirror;
    }

    /// <summary>The DuckDB catalog file the stock CLI attaches.</summary>
    public string CatalogFile { get; }

    public static async Task<StockLake> OpenAsync(TestLake lake, CancellationToken cancellationToken)
    {
        var reference = ReferenceDuckDb.Require();
        var folder = Path.Combine(lake.WorkDirectory, "stock-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        if (lake.Mode == LakeMode.Embedded) return new StockLake(lake, reference, folder, lake.Settings.ResolvedCatalogFile, null);
        var stock = new StockLake(lake, reference, folder, Path.Combine(folder, "catalog.ducklake"), Path.Combine(folder, "data") + "/");
        await stock.ExportAsync(cancellationToken);
        return stock;
    }

    /// <summary>The ATTACH statement that makes this lake the stock CLI's <c>lake</c> catalog.</summary>
    public string Attach(bool readOnly = true) =>
        $"ATTACH {SqlText.Literal("ducklake:" + CatalogFile)} AS lake{(readOnly ? " (READ_ONLY)" : "")};";

    /// <summary>
    /// The lake as the stock extension reads it: every snapshot <c>snapshots()</c> lists, its changes, and every row
    /// of every table visible at it (<c>AT (VERSION => n)</c>), in three runs of the CLI.
    /// </summary>
    public async Task<LakeView> ViewAsync(CancellationToken cancellationToken = default)
    {
        var snapshots = (await QueryAsync(
                "SELECT snapshot_id AS id, map_keys(changes) AS k, map_values(changes) AS v FROM lake.snapshots() ORDER BY snapshot_id", cancellationToken))
            .Select(Json)
            .Select(r => (Id: r.GetProperty("id").GetInt64(), Changes: StockChanges.Canonical(r.GetProperty("k").EnumerateArray()
                .Zip(r.GetProperty("v").EnumerateArray(), (k, v) => v.EnumerateArray().Select(value => (k.GetString()!, value.GetString()!)))
                .SelectMany(e => e)))).ToList();
        var attachEach = string.Join("\n", snapshots.Select(s =>
            $"ATTACH {SqlText.Literal("ducklake:" + CatalogFile)} AS v{s.Id} (READ_ONLY, SNAPSHOT_VERSION {s.Id});"));
        var visible = (await _reference.JsonRowsAsync(attachEach,
                "SELECT CAST(substr(table_catalog, 2) AS BIGINT) AS v, table_schema || '.' || table_name AS t FROM information_schema.tables " +
                "WHERE table_catalog LIKE 'v%' AND table_type = 'BASE TABLE'", _folder, cancellationToken))
            .Select(Json).Select(r => (Version: r.GetProperty("v").GetInt64(), Table: r.GetProperty("t").GetString()!))
            .ToList();
        var rows = visible.Count == 0
            ? []
            : await QueryAsync(string.Join("\nUNION ALL\n", visible.Select(v =>
                $"SELECT {v.Version} AS v, {SqlText.Literal(v.Table)} AS t, CAST(to_json(_dp_row) AS VARCHAR) AS j FROM (SELECT * FROM lake.{v.Table}{At(v.Version)}) AS _dp_row")),
                cancellationToken);
        var byTable = rows.Select(Json)
            .ToLookup(r => (r.GetProperty("v").GetInt64(), r.GetProperty("t").GetString()!), r => r.GetProperty("j").GetString()!);
        return new LakeView(snapshots.Select(s => new SnapshotView(s.Id, s.Changes,
            visible.Where(v => v.Version == s.Id).ToDictionary(v => v.Table,
                v => (IReadOnlyList<string>)byTable[(s.Id, v.Table)].Order(StringComparer.Ordinal).ToList()))).ToList());
    }

    /// <summary>Runs statements with the lake attached read-write; a production lake gets what they wrote back.</summary>
    public async Task ExecuteAsync(string statements, CancellationToken cancellationToken = default)
    {
        await _reference.RunAsync($"{Attach(readOnly: false)}\n{statements}\n", _folder, cancellationToken);
        if (_lake.Mode == LakeMode.Production) await ImportAsync(cancellationToken);
    }

    /// <summary>The JSON rows of any query over the attached lake.</summary>
    public Task<List<string>> QueryAsync(string query, CancellationToken cancellationToken = default) =>
        _reference.JsonRowsAsync(Attach(), query, _folder, cancellationToken);

    private static JsonElement Json(string row) => JsonDocument.Parse(row).RootElement;

    private static string At(long? version) => version is null ? "" : $" AT (VERSION => {version})";

    private async Task ExportAsync(CancellationToken cancellationToken)
    {
        await using (var duck = new DuckDBConnection($"Data Source={CatalogFile}"))
        {
            await duck.OpenAsync(cancellationToken);
            foreach (var statement in CatalogSchema.Statements(_mirror!)) await duck.ExecuteAsync(null, statement, cancellationToken);
            await using var postgres = await _lake.OpenPostgresAsync();
            await CatalogCopy.CopyAsync(postgres, duck, targetIsPostgres: false, cancellationToken, await InlinedColumnTypesAsync(postgres, cancellationToken));
            await duck.ExecuteAsync(null, "UPDATE ducklake_metadata SET value = $1 WHERE key = 'data_path' AND scope IS NULL", cancellationToken, _mirror!);
        }
        var store = Store();
        using var disposeStore = store as IDisposable;
        await foreach (var stored in store.ListAsync(_lake.DataPath!, cancellationToken))
        {
            var local = LocalPath(stored.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            File.Copy(await store.GetLocalPathAsync(stored.Path, cancellationToken), local, overwrite: true);
        }
    }

    /// <summary>The DuckDB type of each column of each inlined-data table, from the table's columns at that table's schema version.</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> InlinedColumnTypesAsync(DbConnection catalog,
        CancellationToken cancellationToken)
    {
        var reader = new CatalogReader(catalog, null, _lake.DataPath!);
        var inlined = await catalog.QueryAsync(null,
            """
            SELECT i.table_name, i.table_id, (SELECT max(v.begin_snapshot) FROM ducklake_schema_versions v
                                              WHERE v.table_id = i.table_id AND v.schema_version <= i.schema_version)
            FROM ducklake_inlined_data_tables i
            """,
            r => (Name: r.GetString(0), Table: r.GetInt64(1), Snapshot: r.NullableInt64(2) ?? 0), cancellationToken);
        var types = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var table in inlined)
        {
            var columns = await reader.ColumnsAsync(table.Snapshot, [table.Table], cancellationToken);
            types[table.Name] = columns.GetValueOrDefault(table.Table, []).ToDictionary(c => c.Name, c => c.Type.ToDuckDb(), StringComparer.Ordinal);
        }
        return types;
    }

    private async Task ImportAsync(CancellationToken cancellationToken)
    {
        await using (var duck = new DuckDBConnection($"Data Source={CatalogFile}"))
        {
            await duck.OpenAsync(cancellationToken);
            await using var postgres = await _lake.OpenPostgresAsync();
            await CatalogCopy.CopyAsync(duck, postgres, targetIsPostgres: true, cancellationToken);
            await postgres.ExecuteAsync(null, "UPDATE ducklake_metadata SET value = $1 WHERE key = 'data_path' AND scope IS NULL", cancellationToken,
                _lake.DataPath!);
            var absolute = await postgres.ScalarAsync<long>(null,
                "SELECT count(*) FROM ducklake_data_file WHERE NOT path_is_relative AND path LIKE $1", cancellationToken, _mirror + "%");
            if (absolute > 0) throw new InvalidOperationException("The stock CLI wrote absolute paths into the mirror; the import cannot map them.");
        }
        var store = Store();
        using var disposeStore = store as IDisposable;
        var remote = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var stored in store.ListAsync(_lake.DataPath!, cancellationToken)) remote.Add(stored.Path);
        var local = Directory.EnumerateFiles(_mirror!, "*", SearchOption.AllDirectories)
            .Select(f => _lake.DataPath + Path.GetRelativePath(_mirror!, f).Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
        foreach (var added in local.Except(remote)) await store.UploadAsync(LocalPath(added), added, cancellationToken);
        foreach (var deleted in remote.Except(local)) await store.DeleteAsync(deleted, cancellationToken);
    }

    private IObjectStore Store() => IObjectStore.Create(_lake.DataPath!, _lake.Settings with { WorkDirectory = Path.Combine(_folder, "s3") });

    private string LocalPath(string s3Path) => _mirror + s3Path[_lake.DataPath!.Length..];

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
