using System.Data.Common;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>
/// The SQL database that holds the DuckLake catalog tables. Both backends run the same SQL (positional <c>$n</c>
/// parameters, standard types); subclasses override only what differs between PostgreSQL and DuckDB.
/// </summary>
public abstract class CatalogDatabase : IAsyncDisposable
{
    /// <summary>A short description for logs and health reports, without secrets.</summary>
    public abstract string Description { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// True when a commit lost a race with another writer for the next snapshot (or the catalog's own objects) and
    /// may be retried on a fresh snapshot. Any other violation means what it says and is not retried.
    /// </summary>
    public abstract bool IsWriteConflict(Exception exception);

    /// <summary>Serialises catalog creation between processes; inside the creating transaction.</summary>
    public virtual Task LockForCreationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>
    /// Indexes for the lookups the engine makes by table and file (the spec's DDL has primary keys only): without
    /// them every commit scans the column and file tables, which grows with the lake.
    /// </summary>
    public virtual IEnumerable<string> LookupIndexes => [];

    /// <summary>
    /// What ends a SELECT that claims rows for one worker among several processes (<c>FOR UPDATE SKIP LOCKED</c>
    /// where the database has it; nothing where one process holds the catalog).
    /// </summary>
    public virtual string SkipLocked => "";

    /// <summary>Makes sure the namespace the catalog tables live in exists.</summary>
    public virtual Task EnsureNamespaceAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The column type of a table's values in its inlined-data tables (<c>ducklake_inlined_data_*</c>), as the stock
    /// extension creates them in this kind of database.
    /// </summary>
    public abstract string InlinedColumnType(Model.LakeType type);

    /// <summary>
    /// Inserts rows whose values are numbers or text in the catalog's own text forms of the column types
    /// (<paramref name="types"/>, null for values bound as they are), in the commit's transaction.
    /// </summary>
    public virtual Task InsertTextRowsAsync(Writing.CatalogCommit commit, string table, IReadOnlyList<object?[]> rows, IReadOnlyList<string?> types,
        CancellationToken cancellationToken) =>
        commit.InsertRowsAsync(SqlText.Identifier(table), rows, cancellationToken, types);

    public abstract ValueTask DisposeAsync();

    public static CatalogDatabase Create(LakeSettings settings) => settings.IsEmbeddedCatalog
        ? new DuckDbCatalogDatabase(settings.ResolvedCatalogFile)
        : new PostgresCatalogDatabase(settings.CatalogConnectionString!);


}
