using Auraison.DataPlane.Configuration;
using DuckDB.NET.Data;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Auraison.DataPlane.Retrieval;

/// <summary>Where embeddings live: pgvector in production, a DuckDB file in the embedded default.</summary>
public interface IVectorStore
{
    string Description { get; }

    /// <summary>Throws when the store cannot be used; used by readiness checks.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}

public sealed class PgVectorStore(NpgsqlDataSource dataSource) : IVectorStore, IAsyncDisposable
{
    public string Description => $"pgvector:{dataSource.ConnectionString.Split(';').FirstOrDefault(p => p.StartsWith("Host", StringComparison.OrdinalIgnoreCase))}";

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}

public sealed class DuckDbVectorStore : IVectorStore, IDisposable
{
    private readonly DuckDBConnection _root;

    public DuckDbVectorStore(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        Description = $"duckdb:{Path.GetFullPath(file)}";
        _root = new DuckDBConnection($"Data Source={Path.GetFullPath(file)}");
        _root.Open();
    }

    public string Description { get; }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = new DuckDBConnection(_root.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(cancellationToken);
    }

    public void Dispose() => _root.Dispose();
}

public static class VectorStoreRegistration
{
    public static IServiceCollection AddVectorStore(this IServiceCollection services) =>
        services.AddSingleton<IVectorStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DataPlaneOptions>>().Value;
            return options.IsEmbeddedVectors
                ? new DuckDbVectorStore(Path.Combine(options.DataDir, "vectors.duckdb"))
                : new PgVectorStore(BuildPgVectorDataSource(options.Vectors!));
        });

    private static NpgsqlDataSource BuildPgVectorDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        return builder.Build();
    }
}
