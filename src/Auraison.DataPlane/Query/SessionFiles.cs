namespace Auraison.DataPlane.Query;

/// <summary>
/// The local copies of lake files a session reads: where the object store's cache keeps them (none for a local
/// directory), and how to copy them there, all (those not fetched yet or evicted since) or some by lake path, at
/// the paths the session's views and file access name.
/// </summary>
public sealed record SessionFiles(string? CacheDirectory, Func<CancellationToken, Task> FetchAllAsync,
    Func<IEnumerable<string>, CancellationToken, Task> FetchAsync)
{
    /// <summary>
    /// Whether DuckDB failed because a file it read is not in the cache (it then fails to open it, or, taking it for a
    /// directory, to list it, or finds no file of that name when it binds a list).
    /// </summary>
    public bool Gone(Exception exception) => CacheDirectory is { } cache && exception.Message.Contains(cache, StringComparison.Ordinal);
}
