using Auraison.DataPlane.Lake;
using Npgsql;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// A fresh, private lake for one test: its own work directory and, in production mode, its own PostgreSQL schema
/// and S3 prefix on the shared test servers. Disposing removes what it made.
/// </summary>
public sealed class TestLake : IAsyncDisposable
{
    private TestLake(LakeMode mode, string workDirectory, TestServers.Servers? servers, string? schema, string? database = null)
    {
        Mode = mode;
        WorkDirectory = workDirectory;
        Servers = servers;
        Schema = schema;
        Database = database;
    }

    /// <summary>The management key every test service accepts (production mode requires keys).</summary>
    public const string BootstrapKey = "test-bootstrap-key-0123456789";

    public LakeMode Mode { get; }

    public string WorkDirectory { get; }

    public TestServers.Servers? Servers { get; }

    /// <summary>The PostgreSQL schema holding this test's catalog and vectors (production mode).</summary>
    public string? Schema { get; }

    /// <summary>A database of this test's own (a first install's empty database) instead of a schema in the shared one.</summary>
    public string? Database { get; }

    public string? PostgresConnectionString => Servers is null || Schema is null
        ? null
        : Database is not null
            ? new NpgsqlConnectionStringBuilder(Servers.PostgresConnectionString) { Database = Database, MaxPoolSize = 20 }.ConnectionString
            : new NpgsqlConnectionStringBuilder(Servers.PostgresConnectionString) { SearchPath = $"{Schema},public" }.ConnectionString;

    public string? DataPath => Servers is null ? null : $"s3://{TestServers.Bucket}/{Schema}/";

    public static async Task<TestLake> CreateAsync(LakeMode mode)
    {
        var id = "t" + Guid.CreateVersion7().ToString("N");
        var workDirectory = Path.Combine(Path.GetTempPath(), "auraison-tests", id);
        Directory.CreateDirectory(workDirectory);
        if (mode == LakeMode.Embedded) return new TestLake(mode, workDirectory, null, null);
        var servers = await TestServers.GetAsync();
        return new TestLake(mode, workDirectory, servers, id);
    }

    /// <summary>A production lake on servers of the test's own (<see cref="PrivateServers"/>), which it may stop and start.</summary>
    public static async Task<TestLake> CreateOnAsync(TestServers.Servers servers)
    {
        var id = "t" + Guid.CreateVersion7().ToString("N");
        var workDirectory = Path.Combine(Path.GetTempPath(), "auraison-tests", id);
        Directory.CreateDirectory(workDirectory);
        await TestServers.PrepareAsync(servers);
        return new TestLake(LakeMode.Production, workDirectory, servers, id);
    }

    /// <summary>A production lake in a new, empty database: no schema, no extension, as a first install finds it.</summary>
    public static async Task<TestLake> CreateInEmptyDatabaseAsync()
    {
        var id = "t" + Guid.CreateVersion7().ToString("N");
        var workDirectory = Path.Combine(Path.GetTempPath(), "auraison-tests", id);
        Directory.CreateDirectory(workDirectory);
        var servers = await TestServers.GetAsync();
        await using (var connection = new NpgsqlConnection(servers.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{id}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new TestLake(LakeMode.Production, workDirectory, servers, id, database: id);
    }

    public LakeSettings Settings => new()
    {
        WorkDirectory = WorkDirectory,
        CatalogConnectionString = PostgresConnectionString,
        DataPath = DataPath,
        S3 = Servers is null
            ? new S3Settings()
            : new S3Settings { ServiceUrl = Servers.S3ServiceUrl, AccessKey = Servers.S3AccessKey, SecretKey = Servers.S3SecretKey },
    };

    /// <summary>The service's configuration for this lake, as <c>DataPlane:*</c> keys.</summary>
    public IReadOnlyDictionary<string, string?> HostConfiguration => new Dictionary<string, string?>
    {
        ["DataPlane:DataDir"] = WorkDirectory,
        ["DataPlane:Catalog"] = PostgresConnectionString ?? "",
        ["DataPlane:DataPath"] = DataPath ?? "",
        ["DataPlane:Vectors"] = PostgresConnectionString ?? "",
        ["DataPlane:S3:ServiceUrl"] = Servers?.S3ServiceUrl ?? "",
        ["DataPlane:S3:AccessKey"] = Servers?.S3AccessKey ?? "",
        ["DataPlane:S3:SecretKey"] = Servers?.S3SecretKey ?? "",
        ["DataPlane:Auth:BootstrapKey"] = BootstrapKey,
    };

    /// <summary>Runs SQL against this test's PostgreSQL schema (production mode only).</summary>
    public async Task<NpgsqlConnection> OpenPostgresAsync()
    {
        var connection = new NpgsqlConnection(PostgresConnectionString ?? throw new InvalidOperationException("Embedded lakes have no PostgreSQL."));
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (Servers is not null && Schema is not null)
        {
            await using var connection = new NpgsqlConnection(Servers.PostgresConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand(Database is null
                ? $"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE"
                : $"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A native handle may still be closing; the temp directory is reclaimed by the OS.
        }
    }
}
