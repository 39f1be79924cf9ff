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
        _schema = SchemaOf(builder);
        Description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}" + (_schema is null ? "" : $" (schema {_schema})");
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>The schema a connection's tables go into: the first of its search path, or null (<c>public</c>).</summary>
    public static string? SchemaOf(NpgsqlConnectionStringBuilder connection) =>
        connection.SearchPath?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();

    public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    public override string Description { get; }

    public NpgsqlDataSource DataSource => _dataSource;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    // The next snapshot's key, or two writers creating the same catalog table (an inlined-data table) at once.
    public override bool IsWriteConflict(Exception exception) => exception is PostgresException
    {
        SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected,
    } or PostgresException
    {
        SqlState: PostgresErrorCodes.UniqueViolation, TableName: "ducklake_snapshot" or "pg_type" or "pg_class",
    };

    public override async Task LockForCreationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(transaction, "SELECT pg_advisory_xact_lock($1)", cancellationToken, CreationLockKey);

    // Extra indexes do not change the tables a stock DuckLake client reads and writes.
    public override IEnumerable<string> LookupIndexes =>
    [
        "CREATE INDEX IF NOT EXISTS dataplane_table_name ON ducklake_table (lower(table_name))",
        "CREATE INDEX IF NOT EXISTS dataplane_column_table ON ducklake_column (table_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_partition_info_table ON ducklake_partition_info (table_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_partition_column_table ON ducklake_partition_column (table_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_data_file_table ON ducklake_data_file (table_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_delete_file_data_file ON ducklake_delete_file (data_file_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_file_partition_value_file ON ducklake_file_partition_value (data_file_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_table_stats_table ON ducklake_table_stats (table_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_table_column_stats_table ON ducklake_table_column_stats (table_id)",
        "CREATE INDEX IF NOT EXISTS dataplane_tag_object ON ducklake_tag (object_id)",
    ];

    public override async Task EnsureNamespaceAsync(CancellationToken cancellationToken)
    {
        if (_schema is null) return;
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, $"CREATE SCHEMA IF NOT EXISTS {SqlText.Identifier(_schema)}", cancellationToken);
    }

    /// <summary>
    /// PostgreSQL's own type where it has one, as the stock extension maps them; nested values, 128-bit and unsigned
    /// 64-bit integers and non-microsecond timestamps are kept as DuckDB's text of the value.
    /// </summary>
    public override string InlinedColumnType(Model.LakeType type) => InlinedType(type);

    /// <inheritdoc cref="InlinedColumnType"/>
    public static string InlinedType(Model.LakeType type) => type.Name switch
    {
        "int8" or "int16" => "SMALLINT",
        "uint8" or "uint16" => "INTEGER",
        "uint32" => "BIGINT",
        "float64" => "DOUBLE PRECISION",
        "blob" => "BYTEA",
        "struct" or "list" or "map" or "uint64" or "int128" or "uint128" or "timestamp_s" or "timestamp_ms" or "timestamp_ns" or "time_ns" => "VARCHAR",
        _ => type.ToDuckDb(),
    };

    // COPY takes text rows in one round trip; an INSERT of as many CAST parameters costs PostgreSQL far more to plan.
    public override async Task InsertTextRowsAsync(Writing.CatalogCommit commit, string table, IReadOnlyList<object?[]> rows, IReadOnlyList<string?> types,
        CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var writer = await ((NpgsqlConnection)commit.Connection).BeginTextImportAsync($"COPY {SqlText.Identifier(table)} FROM STDIN", cancellationToken);
        var line = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append('\t');
                AppendCopyValue(line, row[i]);
            }
            line.Append('\n');
            await writer.WriteAsync(line, cancellationToken);
        }
    }

    private static void AppendCopyValue(System.Text.StringBuilder line, object? value)
    {
        switch (value)
        {
            case null:
                line.Append("\\N");
                return;
            case long number:
                line.Append(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            default:
                foreach (var c in Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!)
                {
                    // COPY's text format: backslash escapes for the delimiter, line ends and the backslash itself.
                    switch (c)
                    {
                        case '\\': line.Append("\\\\"); break;
                        case '\t': line.Append("\\t"); break;
                        case '\n': line.Append("\\n"); break;
                        case '\r': line.Append("\\r"); break;
                        default: line.Append(c); break;
                    }
                }
                return;
        }
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
