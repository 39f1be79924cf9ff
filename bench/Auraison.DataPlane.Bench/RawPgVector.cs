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

    /// <summary>One round trip, as a careful client would send it: BEGIN, the settings, the query, COMMIT; the hits.</summary>
    public async Task<List<Neighbour>> NearestAsync(string tenant, float[] vector, int k, Search search)
    {
        await using var connection = await _data.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        foreach (var setting in search == Search.Exact ? PgVectorStore.ExactSearch : PgVectorStore.HnswSearch(k))
            batch.BatchCommands.Add(new NpgsqlBatchCommand(setting));
        // The columns the service returns, so both sides read and send the same rows.
        var query = new NpgsqlBatchCommand("SELECT id, text, metadata::text, table_name, occurred_at, 1 - (embedding <=> $2::vector) AS score " +
                                           $"FROM dataplane_vectors WHERE tenant_id = $1 ORDER BY embedding <=> $2::vector LIMIT {k}");
        query.Parameters.Add(new NpgsqlParameter { Value = tenant });
        query.Parameters.Add(new NpgsqlParameter { Value = "[" + string.Join(",", vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]" });
        batch.BatchCommands.Add(query);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        List<Neighbour> hits = [];
        await using (var reader = await batch.ExecuteReaderAsync())
            while (await reader.ReadAsync()) hits.Add(new Neighbour(reader.GetString(0), 1 - reader.GetDouble(5)));
        return hits;
    }

    /// <summary>A document found, and its cosine distance from the question.</summary>
    public sealed record Neighbour(string Id, double Distance);

    /// <summary>
    /// Recall@k as ANN-benchmarks counts it: a hit is a true neighbour when it is no farther than the k-th exact one
    /// (within a relative 0.001), so that documents at the same distance as the k-th count alike.
    /// </summary>
    public static double Recall(IReadOnlyList<double> distances, IReadOnlyList<Neighbour> exact, int k) =>
        distances.Take(k).Count(d => d <= exact[^1].Distance * (1 + 1e-3)) / (double)k;

    public ValueTask DisposeAsync() => _data.DisposeAsync();
}
