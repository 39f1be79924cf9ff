using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Retrieval;

namespace Auraison.DataPlane.Bench;

/// <summary>
/// Workload 4: job outcomes indexed by the service (MiniLM in process, pgvector HNSW), searched through /data/retrieve.
/// Baselines: the model embedding the same texts in this process, and the service's nearest-neighbour SQL run directly.
/// One tenant holds 99% of the documents, another 1%.
/// </summary>
internal static partial class RetrievalWorkload
{
    private const string SmallTenant = "bench-small";
    private const int K = 10, RequestRows = 200;

    [GeneratedRegex(@"embed;dur=([0-9.]+)")]
    private static partial Regex EmbedTiming();

    private static string TenantOf(long document) => document % 100 == 0 ? SmallTenant : BenchEnvironment.Tenant;

    public static async Task<IReadOnlyList<Result>> RunAsync(BenchEnvironment bench)
    {
        var documents = bench.Sizes.Documents;
        var requests = Enumerable.Range(0, documents).GroupBy(i => TenantOf(i))
            .SelectMany(tenant => tenant.Chunk(RequestRows).Select((chunk, n) => BenchEnvironment.IngestBody("job_outcomes", tenant.Key,
                $"outcomes-{tenant.Key}-{n}", JobOutcomes.Records(chunk.Select(i => (long)i))))).ToArray();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
        {
            for (var i = client; i < requests.Length; i += 4) await bench.IngestAsync(requests[i]);
        })));
        var small = (documents + 99) / 100;
        await IndexedAsync(bench, BenchEnvironment.Tenant, documents - small);
        await IndexedAsync(bench, SmallTenant, small);
        var buildRate = documents / clock.Elapsed.TotalSeconds;

        using var model = new MiniLmEmbeddingGenerator();
        var modelRate = await ModelRateAsync(model, Math.Min(documents, 1024));

        await using var raw = new RawPgVector(bench.Catalog);
        List<Result> results =
        [
            new("retrieval", "index build (documents/s)", buildRate, "MiniLM alone on the same texts, in process", modelRate, "—", null,
                $"{documents:N0} documents ingested and embedded into pgvector HNSW"),
        ];
        foreach (var (tenant, label, count) in new[] { (BenchEnvironment.Tenant, "large tenant", documents - small), (SmallTenant, "1% tenant", small) })
            results.AddRange(await QueriesAsync(bench, model, raw, tenant, label,
                count <= new RetrievalOptions().ExactSearchThreshold ? RawPgVector.Search.Exact : RawPgVector.Search.Hnsw));
        return results;
    }

    /// <summary>Questions through the service and, with the same vector, straight to pgvector searched the way the service chose for the tenant.</summary>
    private static async Task<IReadOnlyList<Result>> QueriesAsync(BenchEnvironment bench, MiniLmEmbeddingGenerator model, RawPgVector raw,
        string tenant, string label, RawPgVector.Search asServed)
    {
        List<double> total = [], embedding = [], withoutEmbedding = [], rawTimes = [], emptyRequests = [];
        double recall = 0, hnswRecall = 0, idOverlap = 0;
        var queries = bench.Sizes.RetrievalQueries;
        for (var q = -1; q < queries; q++)
        {
            var question = JobOutcomes.Question(Math.Max(q, 0));
            var vector = (await model.GenerateAsync([question])).Single().Vector.ToArray();
            List<RawPgVector.Neighbour> hits = [];
            double elapsed = 0, embed = 0, rawElapsed = 0;
            async Task ServiceAsync()
            {
                var watch = Stopwatch.StartNew();
                using var response = await bench.Http.GetAsync(
                    $"/data/retrieve?tenant_id={tenant}&mode=vector&top_k={K}&query={Uri.EscapeDataString(question)}");
                response.EnsureSuccessStatusCode();
                hits = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
                    .Select(h => new RawPgVector.Neighbour(h.GetProperty("id").GetString()!, 1 - h.GetProperty("score").GetDouble())).ToList();
                elapsed = watch.Elapsed.TotalMilliseconds;
                embed = double.Parse(EmbedTiming().Match(string.Join(",", response.Headers.GetValues("Server-Timing"))).Groups[1].Value,
                    CultureInfo.InvariantCulture);
            }
            async Task RawAsync()
            {
                var watch = Stopwatch.StartNew();
                await raw.NearestAsync(tenant, vector, K, asServed);
                rawElapsed = watch.Elapsed.TotalMilliseconds;
            }
            // The second search of a question finds the index pages the first one read in shared buffers (an index
            // larger than them reads from the OS cache): each side goes first for half the questions.
            if (q % 2 == 0) { await ServiceAsync(); await RawAsync(); }
            else { await RawAsync(); await ServiceAsync(); }
            // What any request costs here (HTTP, routing, middleware): the part of the overhead that is not retrieval.
            var empty = Stopwatch.StartNew();
            (await bench.Http.GetAsync("/health/live")).EnsureSuccessStatusCode();
            var emptyElapsed = empty.Elapsed.TotalMilliseconds;
            var truth = await raw.NearestAsync(tenant, vector, K, RawPgVector.Search.Exact);
            var hnsw = await raw.NearestAsync(tenant, vector, K, RawPgVector.Search.Hnsw);
            if (q < 0) continue; // the first round warms caches on both sides
            total.Add(elapsed);
            embedding.Add(embed);
            withoutEmbedding.Add(elapsed - embed);
            rawTimes.Add(rawElapsed);
            emptyRequests.Add(emptyElapsed);
            recall += RawPgVector.Recall(hits.Select(h => h.Distance).ToList(), truth, K);
            hnswRecall += RawPgVector.Recall(hnsw.Select(h => h.Distance).ToList(), truth, K);
            idOverlap += hits.Select(h => h.Id).Intersect(truth.Select(t => t.Id)).Count() / (double)K;
        }
        var searchP50 = Report.Percentile(withoutEmbedding, 0.5);
        var rawP50 = Report.Percentile(rawTimes, 0.5);
        var served = asServed == RawPgVector.Search.Exact ? "exact search (below the HNSW threshold)" : "HNSW, iterative scan";
        return
        [
            new("retrieval", $"recall@10, {label}, as served", recall / queries, "exact search", 1, "≥ 0.95", recall / queries >= 0.95,
                $"{served}; {queries} questions; ties at the 10th distance count (ANN-benchmarks); the same ids as exact: {idOverlap / queries:0.00}"),
            new("retrieval", $"recall@10, {label}, HNSW", hnswRecall / queries, "exact search", 1, "≥ 0.95", hnswRecall / queries >= 0.95,
                "the index with the tenant filter, queried directly"),
            new("retrieval", $"query p50 without embedding (ms), {label}", searchP50, "the same SQL on pgvector directly", rawP50, "≤ 1.2×",
                searchP50 <= 1.2 * rawP50, $"p99 {Report.Percentile(withoutEmbedding, 0.99):0.0} vs {Report.Percentile(rawTimes, 0.99):0.0} ms; " +
                                           $"an empty request (GET /health/live) p50 {Report.Percentile(emptyRequests, 0.5):0.00} ms"),
            new("retrieval", $"query p50 / p99 with embedding (ms), {label}", Report.Percentile(total, 0.5), "—", null, "—", null,
                $"p99 {Report.Percentile(total, 0.99):0.0} ms; embedding the question p50 {Report.Percentile(embedding, 0.5):0.0} ms"),
        ];
    }

    private static async Task IndexedAsync(BenchEnvironment bench, string tenant, long expected)
    {
        for (var last = -1L; ; await Task.Delay(1000))
        {
            var status = await bench.Http.GetFromJsonAsync<JsonElement>($"/data/retrieve/status?tenant_id={tenant}");
            var indexed = status.GetProperty("indexed_documents").GetInt64();
            if (status.GetProperty("pending_requests").GetInt64() == 0 && indexed >= expected) return;
            if (indexed / 5000 != last / 5000) Console.Error.WriteLine($"[bench] {tenant}: {indexed:N0} of {expected:N0} documents indexed");
            last = indexed;
        }
    }

    private static async Task<double> ModelRateAsync(MiniLmEmbeddingGenerator model, int count)
    {
        var texts = Enumerable.Range(0, count).Select(i => JobOutcomes.Rendered(i)).ToList();
        var watch = Stopwatch.StartNew();
        foreach (var batch in texts.Chunk(64)) await model.GenerateAsync(batch);
        return count / watch.Elapsed.TotalSeconds;
    }
}
