using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Writing;

/// <summary>
/// Runs an operation as exactly one snapshot, all catalog rows in one transaction. The new snapshot row is
/// inserted first: a concurrent writer that read the same newest snapshot then collides on the primary key (or
/// waits for us and collides), rolls back and runs its operation again on the fresh state with fresh ids.
/// Parquet files are written before the commit and never rewritten by a retry.
/// </summary>
internal sealed class CommitRunner(CatalogDatabase catalog, string dataPath, Action<SnapshotInfo> committed)
{
    // One attempt at a time inside a process (attempts of one process would only collide on the snapshot key);
    // other processes are serialised by that key. The lock covers an attempt's catalog transaction, never the
    // wait before a retry.
    private readonly SemaphoreSlim _localWriter = new(1, 1);

    public async Task<Committed<T>> RunAsync<T>(Func<CatalogCommit, CancellationToken, Task<T>> operation, CommitOptions options,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await _localWriter.WaitAsync(cancellationToken);
            try
            {
                return await AttemptAsync(operation, options, cancellationToken);
            }
            catch (Exception e) when (catalog.IsWriteConflict(e) && attempt < options.MaxRetries)
            {
            }
            finally
            {
                _localWriter.Release();
            }
            var wait = options.RetryWait.TotalMilliseconds * Math.Pow(options.RetryBackoff, attempt) * (0.5 + Random.Shared.NextDouble() / 2);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(wait, options.MaxRetryWait.TotalMilliseconds)), cancellationToken);
        }
    }

    private async Task<Committed<T>> AttemptAsync<T>(Func<CatalogCommit, CancellationToken, Task<T>> operation, CommitOptions options,
        CancellationToken cancellationToken)
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var newest = await new CatalogReader(connection, transaction, dataPath).LatestAsync(cancellationToken);
        var time = DateTimeOffset.UtcNow;
        await connection.ExecuteAsync(transaction,
            "INSERT INTO ducklake_snapshot VALUES ($1, CAST($2 AS TIMESTAMP WITH TIME ZONE), $3, $4, $5)", cancellationToken,
            newest.Id + 1, CatalogReader.Timestamp(time), newest.SchemaVersion, newest.NextCatalogId, newest.NextFileId);

        var commit = new CatalogCommit(catalog, connection, transaction, newest, dataPath);
        var value = await operation(commit, cancellationToken);
        await commit.FlushLaterAsync(cancellationToken);
        if (commit.Changes.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new Committed<T>(value, newest.Id, CreatedSnapshot: false);
        }

        var schemaVersion = commit.SchemaChanged ? newest.SchemaVersion + 1 : newest.SchemaVersion;
        await commit.ExecuteAsync("UPDATE ducklake_snapshot SET schema_version = $1, next_catalog_id = $2, next_file_id = $3 WHERE snapshot_id = $4",
            cancellationToken, schemaVersion, commit.NextCatalogId, commit.NextFileId, commit.SnapshotId);
        await commit.ExecuteAsync("INSERT INTO ducklake_snapshot_changes VALUES ($1, $2, $3, $4, $5)", cancellationToken,
            commit.SnapshotId, SnapshotChange.Format(commit.Changes), options.Author, options.Message, options.ExtraInfo);
        foreach (var table in commit.TablesWithNewSchema)
            await commit.ExecuteAsync("INSERT INTO ducklake_schema_versions VALUES ($1, $2, $3)", cancellationToken,
                commit.SnapshotId, schemaVersion, table);
        await transaction.CommitAsync(cancellationToken);
        committed(new SnapshotInfo(commit.SnapshotId, time, schemaVersion, commit.NextCatalogId, commit.NextFileId));
        return new Committed<T>(value, commit.SnapshotId, CreatedSnapshot: true);
    }
}
