using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tables;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Hosting;

/// <summary>
/// Opens the lake on first use and keeps it for the process lifetime. A catalog that is down at start-up makes the
/// service not ready rather than not running; the next request tries again.
/// </summary>
public sealed class LakeAccessor(IOptions<DataPlaneOptions> options, ILogger<LakeAccessor> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Lakehouse? _lake;
    private bool _disposed;

    public async Task<Lakehouse> GetAsync(CancellationToken cancellationToken)
    {
        if (_lake is { } open) return open;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Background work that outlives shutdown must not open the lake again (an embedded catalog would stay locked).
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_lake is null)
            {
                var lake = await Lakehouse.OpenAsync(options.Value.ToLakeSettings(), cancellationToken);
                foreach (var repair in lake.Repairs) logger.LogWarning("Catalog repaired on open: {Repair}", repair);
                try
                {
                    await ServiceTables.EnsureAsync(lake, cancellationToken);
                    await TableRegistry.EnsurePlatformTablesAsync(lake, cancellationToken);
                    await Retrieval.RetrievalSources.EnsureDefaultsAsync(lake, cancellationToken);
                }
                catch
                {
                    await lake.DisposeAsync();
                    throw;
                }
                _lake = lake;
                logger.LogInformation("Lake open: catalog {Catalog}, data path {DataPath}", lake.Catalog.Description, lake.DataPath);
            }
            return _lake;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            if (_lake is not null) await _lake.DisposeAsync();
            _lake = null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
