using Auraison.DataPlane.Retrieval;

namespace Auraison.DataPlane.Tests.Retrieval;

public class VectorStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IVectorStore Create(TestLake lake, int exactSearchThreshold) => lake.Mode == LakeMode.Embedded
        ? new DuckDbVectorStore(Path.Combine(lake.WorkDirectory, "vectors.duckdb"))
        : new PgVectorStore(lake.PostgresConnectionString!, exactSearchThreshold, TimeProvider.System);

    private static float[] RandomUnitVector(Random random, int dimensions)
    {
        var vector = Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => v / norm).ToArray();
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_tenant_with_one_percent_of_the_vectors_still_gets_top_k_through_the_index(LakeMode mode)
    {
        const int dimensions = 32, total = 3000, small = 30;
        await using var lake = await TestLake.CreateAsync(mode);
        // Threshold 0 sends every search through the HNSW index in production mode: the filter alone must not starve it.
        var store = Create(lake, exactSearchThreshold: 0);
        await store.EnsureAsync(dimensions, Ct);
        var random = new Random(7);
        var documents = Enumerable.Range(0, total).Select(i => new VectorDocument($"doc-{i}", i < small ? "small" : "large", "main.docs",
            Guid.Empty, i, $"document {i}", new Dictionary<string, object?>(), null, RandomUnitVector(random, dimensions))).ToList();
        foreach (var chunk in documents.Chunk(500)) await store.UpsertAsync(chunk, Ct);

        var hits = await store.NearestAsync(new VectorSearch("small", "q", RandomUnitVector(random, dimensions), null, null, null,
            new Dictionary<string, string>()), 10, Ct);

        Assert.Equal(10, hits.Count);
        Assert.All(hits, h => Assert.StartsWith("doc-", h.Id, StringComparison.Ordinal));
        Assert.All(hits, h => Assert.True(int.Parse(h.Id[4..], System.Globalization.CultureInfo.InvariantCulture) < small));
        (store as IDisposable)?.Dispose();
        if (store is IAsyncDisposable disposable) await disposable.DisposeAsync();
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Storing_a_document_twice_keeps_one_copy(LakeMode mode)
    {
        await using var lake = await TestLake.CreateAsync(mode);
        var store = Create(lake, exactSearchThreshold: 1000);
        await store.EnsureAsync(4, Ct);
        var document = new VectorDocument("d", "t", "main.docs", Guid.NewGuid(), 0, "text", new Dictionary<string, object?>(), null, [1, 0, 0, 0]);

        await store.UpsertAsync([document], Ct);
        await store.UpsertAsync([document], Ct);

        Assert.Equal(1, await store.CountAsync("t", Ct));
        (store as IDisposable)?.Dispose();
        if (store is IAsyncDisposable disposable) await disposable.DisposeAsync();
    }
}
