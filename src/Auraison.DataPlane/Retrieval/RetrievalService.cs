using System.Diagnostics;
using Auraison.DataPlane.Hosting;
using Microsoft.Extensions.AI;

namespace Auraison.DataPlane.Retrieval;

/// <summary>Embeds, stores and searches; fuses vector and keyword rankings by reciprocal rank for hybrid search.</summary>
public sealed class RetrievalService(IEmbeddingGenerator<string, Embedding<float>> embeddings, IVectorStore store, LakeAccessor lakes, TimeProvider time)
{
    private const int RankConstant = 60;
    private readonly SemaphoreSlim _ensure = new(1, 1);
    private bool _ensured;

    /// <summary>Indexer lag for a tenant; parked requests failed every try and wait for an operator.</summary>
    public sealed record Status(long PendingRequests, double? OldestPendingSeconds, long IndexedDocuments, long ParkedRequests,
        IReadOnlyList<EmbeddingOutbox.Parked> Parked);

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var generated = await embeddings.GenerateAsync(texts, cancellationToken: cancellationToken);
        var vectors = generated.Select(e => e.Vector.ToArray()).ToArray();
        await EnsureStoreAsync(vectors[0].Length, cancellationToken);
        return vectors;
    }

    public Task StoreAsync(IReadOnlyList<VectorDocument> documents, CancellationToken cancellationToken) =>
        store.UpsertAsync(documents, cancellationToken);

    /// <summary>Hits best first, with the time spent embedding the query apart from the time spent searching.</summary>
    public sealed record SearchResult(IReadOnlyList<SearchHit> Hits, TimeSpan Embedding, TimeSpan Search);

    public async Task<SearchResult> SearchAsync(VectorSearch search, SearchMode mode, int topK, CancellationToken cancellationToken)
    {
        var candidates = Math.Max(50, topK * 4);
        var clock = Stopwatch.StartNew();
        // The query is embedded in every mode: it also tells the store the embedding size before the first search.
        var vector = (await EmbedAsync([search.QueryText], cancellationToken))[0];
        var embedding = clock.Elapsed;
        var query = search with { QueryVector = vector };
        IReadOnlyList<SearchHit> hits = mode switch
        {
            SearchMode.Vector => (await store.NearestAsync(query, topK, cancellationToken)).Take(topK).ToList(),
            SearchMode.Keyword => (await store.KeywordAsync(query, topK, cancellationToken)).Take(topK).ToList(),
            _ => Fuse(await store.NearestAsync(query, candidates, cancellationToken), await store.KeywordAsync(query, candidates, cancellationToken), topK),
        };
        return new SearchResult(hits, embedding, clock.Elapsed - embedding);
    }

    /// <summary>Reciprocal rank fusion: each list adds 1/(60 + rank) for a document; the score is the sum.</summary>
    public static IReadOnlyList<SearchHit> Fuse(IReadOnlyList<SearchHit> vector, IReadOnlyList<SearchHit> keyword, int topK)
    {
        var fused = new Dictionary<string, (SearchHit Hit, double Score)>(StringComparer.Ordinal);
        foreach (var list in new[] { vector, keyword })
            for (var rank = 0; rank < list.Count; rank++)
            {
                var hit = list[rank];
                var add = 1.0 / (RankConstant + rank + 1);
                fused[hit.Id] = fused.TryGetValue(hit.Id, out var existing) ? (existing.Hit, existing.Score + add) : (hit, add);
            }
        return fused.Values.OrderByDescending(f => f.Score).Take(topK).Select(f => f.Hit with { Score = f.Score }).ToList();
    }

    public async Task<Status> StatusAsync(string tenant, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var (pending, oldest) = await EmbeddingOutbox.PendingAsync(lake, tenant, cancellationToken);
        var (parked, newest) = await EmbeddingOutbox.ParkedAsync(lake, tenant, 20, cancellationToken);
        double? age = oldest is null ? null : Math.Max(0, (time.GetUtcNow() - oldest.Value).TotalSeconds);
        return new Status(pending, age, await store.CountAsync(tenant, cancellationToken), parked, newest);
    }

    private async Task EnsureStoreAsync(int dimensions, CancellationToken cancellationToken)
    {
        if (_ensured) return;
        await _ensure.WaitAsync(cancellationToken);
        try
        {
            if (!_ensured) await store.EnsureAsync(dimensions, cancellationToken);
            _ensured = true;
        }
        finally
        {
            _ensure.Release();
        }
    }
}
