using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Storage;

namespace Auraison.DataPlane.Lake;

/// <summary>An open lake: its catalog database and the object store behind its data_path.</summary>
public sealed class Lakehouse : IAsyncDisposable
{
    private Lakehouse(LakeSettings settings, CatalogDatabase catalog, IObjectStore storage, string dataPath)
    {
        Settings = settings;
        Catalog = catalog;
        Storage = storage;
        DataPath = dataPath;
    }

    public LakeSettings Settings { get; }

    public CatalogDatabase Catalog { get; }

    public IObjectStore Storage { get; }

    /// <summary>The catalog's data_path, normalised; relative ones resolve against the catalog file's folder.</summary>
    public string DataPath { get; }

    public static async Task<Lakehouse> OpenAsync(LakeSettings settings, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.WorkDirectory);
        var catalog = CatalogDatabase.Create(settings);
        try
        {
            var stored = await CatalogSchema.EnsureAsync(catalog, settings.ResolvedDataPath, cancellationToken);
            var dataPath = ResolveStoredDataPath(stored, settings);
            if (!string.IsNullOrWhiteSpace(settings.DataPath) && dataPath != settings.ResolvedDataPath)
                throw new LakeConfigurationException(
                    $"The catalog stores data_path '{dataPath}' but '{settings.ResolvedDataPath}' was configured; one catalog has one data path.");
            return new Lakehouse(settings, catalog, IObjectStore.Create(dataPath, settings), dataPath);
        }
        catch
        {
            await catalog.DisposeAsync();
            throw;
        }
    }

    private static string ResolveStoredDataPath(string stored, LakeSettings settings)
    {
        if (DataPaths.IsAbsolute(stored) || !settings.IsEmbeddedCatalog) return DataPaths.Normalize(stored);
        var catalogFolder = Path.GetDirectoryName(Path.GetFullPath(settings.ResolvedCatalogFile))!;
        return DataPaths.Normalize(Path.Combine(catalogFolder, stored));
    }

    /// <summary>Throws when the catalog or the object store cannot be used.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await Catalog.OpenAsync(cancellationToken))
            await connection.ScalarAsync<long>(null, "SELECT max(snapshot_id) FROM ducklake_snapshot", cancellationToken);
        await Storage.CheckAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync();
        (Storage as IDisposable)?.Dispose();
    }
}

public sealed class LakeConfigurationException(string message) : Exception(message);
