using System.Data.Common;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// One attempt at a commit: a catalog transaction on top of the newest snapshot, with id allocators that start
/// from that snapshot's counters. Operations read the state they depend on through <see cref="Reader"/> inside
/// the transaction, write their rows and record their <c>changes_made</c> entries; the runner adds the snapshot.
/// </summary>
public sealed class CatalogCommit
{
    private readonly List<SnapshotChange> _changes = [];
    private readonly HashSet<long> _tablesWithNewSchema = [];
    private readonly HashSet<long> _createdTables = [];
    private readonly List<(string Sql, object?[] Args)> _later = [];

    internal CatalogCommit(CatalogDatabase database, DbConnection connection, DbTransaction transaction, SnapshotInfo baseSnapshot, string dataPath)
    {
        Database = database;
        Connection = connection;
        Transaction = transaction;
        Base = baseSnapshot;
        DataPath = dataPath;
        Reader = new CatalogReader(connection, transaction, dataPath);
        NextCatalogId = baseSnapshot.NextCatalogId;
        NextFileId = baseSnapshot.NextFileId;
    }

    /// <summary>The kind of database the catalog is in (some catalog tables are laid out per kind).</summary>
    public CatalogDatabase Database { get; }

    public DbConnection Connection { get; }

    public DbTransaction Transaction { get; }

    /// <summary>The newest snapshot when this attempt began; the commit creates the one after it.</summary>
    public SnapshotInfo Base { get; }

    public long SnapshotId => Base.Id + 1;

    public string DataPath { get; }

    public CatalogReader Reader { get; }

    public long NextCatalogId { get; private set; }

    public long NextFileId { get; private set; }

    public IReadOnlyList<SnapshotChange> Changes => _changes;

    public bool SchemaChanged { get; private set; }

    public IReadOnlyCollection<long> TablesWithNewSchema => _tablesWithNewSchema;

    /// <summary>For schemas, tables, partitions and mappings.</summary>
    public long AllocateCatalogId() => NextCatalogId++;

    /// <summary>For data and delete files (one shared counter).</summary>
    public long AllocateFileId() => NextFileId++;

    public void Record(SnapshotChange change)
    {
        if (!_changes.Contains(change)) _changes.Add(change);
    }

    /// <summary>Tables this commit creates; later changes to them in the same commit need no entries of their own.</summary>
    public bool Created(long tableId) => _createdTables.Contains(tableId);

    internal void RecordCreatedTable(long tableId, string schema, string name)
    {
        _createdTables.Add(tableId);
        Record(SnapshotChange.CreatedTable(schema, name));
    }

    /// <summary>The commit changes schema objects: the snapshot gets a new schema_version.</summary>
    public void MarkSchemaChanged(long? tableId = null)
    {
        SchemaChanged = true;
        if (tableId is { } id) _tablesWithNewSchema.Add(id);
    }

    public Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object?[] args) =>
        Connection.ExecuteAsync(Transaction, sql, cancellationToken, args);

    /// <summary>
    /// A statement whose result nothing in this commit reads: it is sent with the others of its kind in one round
    /// trip (a batch, where the catalog database supports it) just before the snapshot is completed.
    /// </summary>
    public void ExecuteLater(string sql, params object?[] args) => _later.Add((sql, args));

    internal async Task FlushLaterAsync(CancellationToken cancellationToken)
    {
        if (_later.Count == 0) return;
        if (Connection.CanCreateBatch)
        {
            await using var batch = Connection.CreateBatch();
            batch.Transaction = Transaction;
            foreach (var (sql, args) in _later)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = sql;
                command.Parameters.AddPositional(command.CreateParameter, args);
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            foreach (var (sql, args) in _later) await ExecuteAsync(sql, cancellationToken, args);
        }
        _later.Clear();
    }

    /// <summary>
    /// Inserts rows (each one value per column of <paramref name="table"/>, in order) with one statement per chunk:
    /// a commit of many files is a few round trips, not one per catalog row. <paramref name="casts"/>, when given,
    /// names per column the type its (text) value is cast to, or null to bind it as it is.
    /// </summary>
    public async Task InsertRowsAsync(string table, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken, IReadOnlyList<string?>? casts = null)
    {
        if (rows.Count == 0) return;
        var width = rows[0].Length;
        string Placeholder(int number, int column)
        {
            var parameter = "$" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return casts?[column] is { } type ? $"CAST({parameter} AS {type})" : parameter;
        }
        // PostgreSQL takes at most 65,535 parameters per statement.
        foreach (var chunk in rows.Chunk(Math.Max(1, 30_000 / width)))
        {
            var values = string.Join(", ", chunk.Select((_, row) =>
                "(" + string.Join(", ", Enumerable.Range(0, width).Select(column => Placeholder(row * width + column + 1, column))) + ")"));
            await ExecuteAsync($"INSERT INTO {table} VALUES {values}", cancellationToken, [.. chunk.SelectMany(r => r)]);
        }
    }
}

/// <summary>Another writer changed what this commit depends on (dropped or altered its table); retrying cannot help.</summary>
public sealed class LakeConflictException(string message) : Exception(message);
