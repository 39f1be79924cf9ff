using System.Globalization;
using Auraison.DataPlane.Retrieval;
using Npgsql;

namespace Auraison.DataPlane.Bench;

/// <summary>The service's vector table queried directly: the same nearest-neighbour SQL without the service around it.</summary>
internal sealed class RawPgVector(string connectionString) : IAsyncDisposable
{
    public enum Search
    {
        /// <summary>HNSW with iterative scans and the service's ef_search, as the service searches large tenants.</summary>
        Hnsw,

        /// <summary>No index: the exact answer (and how the service searches small tenants).</summary>
        Exact,
    }

    private readonly NpgsqlDataSource _data = NpgsqlDataSource.Create(connectionString);

    public async Task<List<string>> NearestAsync(string tenant, float[] vector, int k, Search search)
    {
        await using var connection = await _data.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var settings = search == Search.Exact
            ? "SET LOCAL enable_indexscan = off"
            : $"SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {PgVectorStore.EfSearch(k)}";
        await using (var set = new NpgsqlCommand(settings, connection)) await set.ExecuteNonQueryAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT id FROM dataplane_vectors WHERE tenant_id = $1 ORDER BY embedding <=> $2::vector LIMIT {k}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = "[" + string.Join(",", vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]" });
        List<string> ids = [];
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        await transaction.CommitAsync();
        return ids;
    }

    public ValueTask DisposeAsync() => _data.DisposeAsync();
}
