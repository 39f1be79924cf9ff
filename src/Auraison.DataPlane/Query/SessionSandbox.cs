using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Query;

/// <summary>
/// Shuts a DuckDB database holding a tenant's views in: from then on it reads exactly the views' files (and writes
/// only into the directory given), reaches nothing else and cannot change that. Query sessions and dataset exports
/// both end their set-up with it.
/// </summary>
public static class SessionSandbox
{
    /// <remarks>
    /// The file list goes in as one parameter: a SET with 100,000 path literals spends seconds in DuckDB's parser alone.
    /// </remarks>
    public static async Task LockAsync(DuckDBConnection connection, IReadOnlyCollection<string> readableFiles, CancellationToken cancellationToken,
        string? writableDirectory = null)
    {
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SET VARIABLE session_allowed_paths = $1";
            command.Parameters.Add(new DuckDBParameter(readableFiles.DefaultIfEmpty("/nonexistent").ToList()));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var settings = connection.CreateCommand();
        settings.CommandText = "SET allowed_paths = getvariable('session_allowed_paths'); RESET VARIABLE session_allowed_paths; " +
                               (writableDirectory is null ? "" : $"SET allowed_directories = [{Literal(writableDirectory.TrimEnd('/') + "/")}]; ") +
                               "SET enable_external_access = false; SET lock_configuration = true";
        await settings.ExecuteNonQueryAsync(cancellationToken);
    }
}
