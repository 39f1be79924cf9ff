using System.Data.Common;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>
/// A catalog in a DuckDB database file, the layout the stock extension uses for <c>ATTACH 'ducklake:file'</c>.
/// A root connection stays open for the catalog's lifetime: DuckDB closes the database with its last connection,
/// taking its cached state with it.
/// </summary>
public sealed class DuckDbCatalogDatabase : CatalogDatabase
{
    private readonly DuckDBConnection _root;
    private bool _disposed;

    public DuckDbCatalogDatabase(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        File = Path.GetFullPath(file);
        _root = new DuckDBConnection($"Data Source={File}");
        _root.Open();
    }

    public string File { get; }

    public override string Description => $"duckdb:{File}";

    public override Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        OpenSharedAsync(cancellationToken);

    // DuckDB names the key a duplicate violates, and its transaction conflicts say "conflict".
    public override bool IsWriteConflict(Exception exception) =>
        exception is DuckDBException
        && (exception.Message.Contains("Duplicate key \"snapshot_id:", StringComparison.Ordinal)
            || exception.Message.Contains("conflict", StringComparison.OrdinalIgnoreCase));

    // Connections to one file in one process share the native database that the root connection keeps open.
    private async Task<DbConnection> OpenSharedAsync(CancellationToken cancellationToken)
    {
        // Opened after disposal, DuckDB would open the file anew and hold its lock with nobody left to close it.
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new DuckDBConnection(_root.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    // A DuckDB catalog holds every DuckDB type natively.
    public override string InlinedColumnType(Model.LakeType type) => type.ToDuckDb();

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _root.DisposeAsync();
    }
}
