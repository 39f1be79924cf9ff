using System.Data.Common;
using Npgsql;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>A catalog in PostgreSQL; the tables live in the first schema of the connection's search path.</summary>
public sealed class PostgresCatalogDatabase : CatalogDatabase
{
    // Any constant works as long as every process that creates catalogs uses the same one.
    private const long CreationLockKey = 0x4475636b4c616b65;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string? _schema;

    public PostgresCatalogDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _schema = builder.SearchPath?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault();
        Description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}" + (_schema is null ? "" : $" (schema {_schema})");
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Description { get; }

    public NpgsqlDataSource DataSource => _dataSource;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public override bool IsWriteConflict(Exception exception) => exception is PostgresException
    {
        SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
    };

    public override async Task LockForCreationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(transaction, "SELECT pg_advisory_xact_lock($1)", cancellationToken, CreationLockKey);

    public override async Task EnsureNamespaceAsync(CancellationToken cancellationToken)
    {
        if (_schema is null) return;
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, $"CREATE SCHEMA IF NOT EXISTS {SqlText.Identifier(_schema)}", cancellationToken);
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
