using DuckDB.NET.Data;

namespace Auraison.DataPlane.Query;

/// <summary>
/// The local copies of lake files a session reads: where the object store's cache keeps them (none for a local
/// directory), and how to copy those evicted since back to the same paths, so that the session's views and file
/// access stay as they are.
/// </summary>
public sealed record SessionFiles(string? CacheDirectory, Func<CancellationToken, Task> FetchAgainAsync)
{
    /// <summary>Whether DuckDB failed because a file it read left the cache (it then fails to open it, or, taking it for a directory, to list it).</summary>
    public bool Gone(DuckDBException exception) => CacheDirectory is { } cache && exception.Message.Contains(cache, StringComparison.Ordinal);
}
