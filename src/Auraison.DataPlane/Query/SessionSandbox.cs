using DuckDB.NET.Data;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Reading;

namespace Auraison.DataPlane.Query;

/// <summary>
/// Shuts a DuckDB database holding a tenant's views in: from then on it reads exactly the views' files (and writes
/// only into the directory given), reaches nothing else and cannot change that. Query sessions and dataset exports
/// both end their set-up with it.
/// </summary>
public static class SessionSandbox
{
    /// <summary>
    /// Locks the connection's database to reading the files under <paramref name="readableDirectories"/> (each one holding
    /// files the views may read alone) and <paramref name="readableFiles"/> (those under none of them), and writing
    /// into <paramref name="writableDirectory"/>.
    /// </summary>
    /// <remarks>
    /// The file list goes in as one parameter: a SET with 100,000 path literals spends seconds in DuckDB's parser alone,
    /// and setting it seconds more in DuckDB's path checks; files under a directory allowed as a whole cost nothing.
    /// </remarks>
    public static async Task LockAsync(DuckDBConnection connection, IReadOnlySet<string> readableDirectories, IEnumerable<string> readableFiles,
        CancellationToken cancellationToken, string? writableDirectory = null)
    {
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SET VARIABLE session_allowed_paths = $1";
            command.Parameters.Add(new DuckDBParameter(readableFiles.Where(f => !DataPaths.IsUnderAny(f, readableDirectories)).DefaultIfEmpty("/nonexistent").ToList()));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var directories = writableDirectory is null ? readableDirectories : readableDirectories.Append(writableDirectory.TrimEnd('/') + "/").ToHashSet();
        await using var settings = connection.CreateCommand();
        settings.CommandText = "SET allowed_paths = getvariable('session_allowed_paths'); RESET VARIABLE session_allowed_paths; " +
                               (directories.Count == 0 ? "" : $"SET allowed_directories = {TableScanSql.ListLiteral(directories.Order(StringComparer.Ordinal))}; ") +
                               "SET enable_external_access = false; SET lock_configuration = true";
        await settings.ExecuteNonQueryAsync(cancellationToken);
    }
}
