using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Auraison.DataPlane.Bench;

/// <summary>
/// Recall@10 of the HNSW index as the service searches it (iterative scan, ef_search = max(100, 4k)) against exact
/// search, for a large tenant and one holding 1% of the vectors, on synthetic unit vectors of MiniLM's size.
/// </summary>
internal static class VectorRecall
{
    public sealed record Outcome(double BuildRate, double RecallLarge, double RecallSmall, double HnswMs, double ExactMs);

    public static async Task<Outcome> MeasureAsync(string connectionString, string schema, int vectors, int queries)
    {
        const int dimensions = 384, k = 10;
        await using var data = NpgsqlDataSource.Create(connectionString);
        await Execute(data, $"CREATE TABLE {schema}_vectors(id bigint PRIMARY KEY, tenant text NOT NULL, embedding vector({dimensions}) NOT NULL)");
        var random = new Random(11);
        var watch = Stopwatch.StartNew();
        await using (var connection = await data.OpenConnectionAsync())
        await using (var writer = await connection.BeginTextImportAsync($"COPY {schema}_vectors FROM STDIN"))
            for (var i = 0; i < vectors; i++)
                await writer.WriteLineAsync($"{i}\t{(i % 100 == 0 ? "small" : "large")}\t{Format(Unit(random, dimensions))}");
        await Execute(data, $"CREATE INDEX ON {schema}_vectors USING hnsw (embedding vector_cosine_ops)");
        var buildRate = vectors / watch.Elapsed.TotalSeconds;

        var (recallLarge, hnswLarge, exactLarge) = await RecallAsync(data, schema, "large", queries, k, random, dimensions);
        var (recallSmall, hnswSmall, exactSmall) = await RecallAsync(data, schema, "small", queries, k, random, dimensions);
        return new Outcome(buildRate, recallLarge, recallSmall, Report.Median([.. hnswLarge, .. hnswSmall]), Report.Median([.. exactLarge, .. exactSmall]));
    }

    private static async Task<(double Recall, List<double> Hnsw, List<double> Exact)> RecallAsync(NpgsqlDataSource data, string schema, string tenant,
        int queries, int k, Random random, int dimensions)
    {
        double found = 0;
        List<double> hnsw = [], exact = [];
        for (var q = 0; q < queries; q++)
        {
            var vector = Format(Unit(random, dimensions));
            var watch = Stopwatch.StartNew();
            var approximate = await NearestAsync(data, schema, tenant, vector, k,
                $"SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {Math.Max(100, 4 * k)}");
            hnsw.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            var truth = await NearestAsync(data, schema, tenant, vector, k, "SET LOCAL enable_indexscan = off");
            exact.Add(watch.Elapsed.TotalMilliseconds);
            found += approximate.Intersect(truth).Count() / (double)k;
        }
        return (found / queries, hnsw, exact);
    }

    private static async Task<List<long>> NearestAsync(NpgsqlDataSource data, string schema, string tenant, string vector, int k, string settings)
    {
        await using var connection = await data.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand(settings, connection)) await set.ExecuteNonQueryAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT id FROM {schema}_vectors WHERE tenant = $1 ORDER BY embedding <=> $2::vector LIMIT {k}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = vector });
        List<long> ids = [];
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) ids.Add(reader.GetInt64(0));
        await transaction.CommitAsync();
        return ids;
    }

    private static float[] Unit(Random random, int dimensions)
    {
        var vector = Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => v / norm).ToArray();
    }

    private static string Format(float[] vector) => "[" + string.Join(",", vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static async Task Execute(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }
}
