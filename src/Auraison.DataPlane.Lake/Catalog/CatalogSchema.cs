using System.Reflection;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>Creates the spec-1.0 tables in an empty catalog database and refuses catalogs of any other version.</summary>
public static class CatalogSchema
{
    public const string SpecVersion = "1.0";

    public static string CreatedBy { get; } =
        "Auraison.DataPlane " + typeof(CatalogSchema).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    /// <summary>Creates the catalog when it does not exist yet and returns the data_path it stores.</summary>
    public static async Task<string> EnsureAsync(CatalogDatabase database, string dataPath, CancellationToken cancellationToken)
    {
        // Its lookup indexes wait for writers already committing, and one of those may wait for the creation lock held
        // here: PostgreSQL then picks one side as a deadlock victim. Opening again is safe (everything is IF NOT EXISTS).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await EnsureOnceAsync(database, dataPath, cancellationToken);
            }
            catch (Exception e) when (database.IsWriteConflict(e) && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt * (1 + Random.Shared.NextDouble())), cancellationToken);
            }
        }
    }

    private static async Task<string> EnsureOnceAsync(CatalogDatabase database, string dataPath, CancellationToken cancellationToken)
    {
        await database.EnsureNamespaceAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await database.LockForCreationAsync(connection, transaction, cancellationToken);
        var exists = await connection.ScalarAsync<long>(transaction,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'ducklake_metadata'",
            cancellationToken);
        if (exists == 0)
        {
            foreach (var statement in Statements(dataPath))
                await connection.ExecuteAsync(transaction, statement, cancellationToken);
        }
        var version = await connection.ScalarAsync<string>(transaction,
            "SELECT value FROM ducklake_metadata WHERE key = 'version' AND scope IS NULL", cancellationToken);
        if (version != SpecVersion)
            throw new CatalogVersionException(
                $"The catalog ({database.Description}) is DuckLake version '{version ?? "none"}'; this engine reads and writes version {SpecVersion} only.");
        foreach (var index in database.LookupIndexes) await connection.ExecuteAsync(transaction, index, cancellationToken);
        var storedDataPath = await connection.ScalarAsync<string>(transaction,
            "SELECT value FROM ducklake_metadata WHERE key = 'data_path' AND scope IS NULL", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return storedDataPath ?? dataPath;
    }

    /// <summary>The statements of ducklake-schema.sql with its psql variables bound.</summary>
    public static IEnumerable<string> Statements(string dataPath)
    {
        using var stream = typeof(CatalogSchema).Assembly.GetManifestResourceStream("ducklake-schema.sql")!;
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal));
        var script = string.Join('\n', lines)
            .Replace(":'created_by'", SqlText.Literal(CreatedBy), StringComparison.Ordinal)
            .Replace(":'data_path'", SqlText.Literal(dataPath), StringComparison.Ordinal);
        return script.Split(";\n", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(statement => statement.TrimEnd(';'));
    }
}

public sealed class CatalogVersionException(string message) : Exception(message);
