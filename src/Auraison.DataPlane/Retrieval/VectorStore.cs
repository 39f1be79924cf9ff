using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Retrieval;

/// <summary>A row made retrievable: its text, metadata, time and embedding, keyed by (table, request, record).</summary>
public sealed record VectorDocument(string Id, string TenantId, string Table, Guid PartitionId, long RecordIndex, string Text,
    IReadOnlyDictionary<string, object?> Metadata, DateTimeOffset? OccurredAt, float[] Embedding)
{
    public static string IdOf(string table, Guid partitionId, long recordIndex) => $"{table}/{partitionId}/{recordIndex.ToString(CultureInfo.InvariantCulture)}";
}

public enum SearchMode
{
    Vector,
    Keyword,
    Hybrid,
}

/// <summary>What to look for, for whom, within which tables, times and metadata values.</summary>
public sealed record VectorSearch(string TenantId, string QueryText, float[]? QueryVector, IReadOnlyCollection<string>? Tables,
    DateTimeOffset? From, DateTimeOffset? To, IReadOnlyDictionary<string, string> Metadata);

public sealed record SearchHit(string Id, string Text, double Score, Dictionary<string, object?> Metadata);

/// <summary>Where embeddings live: pgvector in production, a DuckDB file in the embedded default.</summary>
public interface IVectorStore
{
    string Description { get; }

    /// <summary>Throws when the store cannot be used; used by readiness checks.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>Creates the vector table (and its indexes) for embeddings of this size.</summary>
    Task EnsureAsync(int dimensions, CancellationToken cancellationToken);

    /// <summary>Stores documents; a document whose id is already stored is left as it is (re-indexing is harmless).</summary>
    Task UpsertAsync(IReadOnlyList<VectorDocument> documents, CancellationToken cancellationToken);

    /// <summary>Nearest documents by cosine similarity, best first; the filter never starves the result.</summary>
    Task<IReadOnlyList<SearchHit>> NearestAsync(VectorSearch search, int limit, CancellationToken cancellationToken);

    /// <summary>Documents matching the query's words, best first.</summary>
    Task<IReadOnlyList<SearchHit>> KeywordAsync(VectorSearch search, int limit, CancellationToken cancellationToken);

    Task<long> CountAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Removes the tenant's documents of these ingest requests (retention); returns how many went.</summary>
    Task<long> DeleteAsync(string tenantId, IReadOnlyCollection<Guid> partitionIds, CancellationToken cancellationToken);
}

public static partial class SearchTerms
{
    [GeneratedRegex("[A-Za-z0-9]+")]
    private static partial Regex Word();

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "because", "but", "by", "did", "do", "does", "for", "from", "had", "has", "have", "how",
        "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then", "there", "these", "they", "this", "to", "until",
        "was", "were", "what", "when", "where", "which", "who", "why", "with",
    };

    /// <summary>The query's words without stop words, lowercased, letters and digits only, at most 32.</summary>
    public static IReadOnlyList<string> Of(string text) =>
        Word().Matches(text).Select(m => m.Value.ToLowerInvariant()).Where(w => w.Length > 1 && !StopWords.Contains(w)).Distinct().Take(32).ToList();

    /// <summary>
    /// How many of the words a document must contain to count as a keyword match: half, rounded up. A long
    /// natural-language question then matches no document on one common word, which would crowd out the
    /// semantic matches when the rankings are fused.
    /// </summary>
    public static int MinimumMatches(int terms) => (terms + 1) / 2;

    public static Dictionary<string, object?> Metadata(string? json, string table, DateTimeOffset? occurredAt)
    {
        var metadata = json is null ? [] : JsonSerializer.Deserialize<Dictionary<string, object?>>(json) ?? [];
        metadata["table"] = table;
        if (occurredAt is { } time) metadata["occurred_at"] = time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        return metadata;
    }
}

public static class VectorStoreRegistration
{
    public static IServiceCollection AddVectorStore(this IServiceCollection services) =>
        services.AddSingleton<IVectorStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DataPlaneOptions>>().Value;
            return options.IsEmbeddedVectors
                ? new DuckDbVectorStore(Path.Combine(options.DataDir, "vectors.duckdb"))
                : new PgVectorStore(options.Vectors!, options.Retrieval.ExactSearchThreshold, provider.GetRequiredService<TimeProvider>());
        });
}
