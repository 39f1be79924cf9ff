namespace Auraison.DataPlane.Bench;

/// <summary>How big each workload is: quick (a couple of minutes, for every change) or full (the documented report).</summary>
internal sealed record BenchSizes(string Name, int BulkRows, int SmallSeconds, long QueryRows, int Documents, int RetrievalQueries,
    int Tables, int Files, int Repetitions)
{
    public static BenchSizes For(string name) => name switch
    {
        "full" => new BenchSizes(name, BulkRows: 1_000_000, SmallSeconds: 30, QueryRows: 10_000_000, Documents: 100_000, RetrievalQueries: 100,
            Tables: 10_000, Files: 100_000, Repetitions: 5),
        "quick" => new BenchSizes(name, BulkRows: 100_000, SmallSeconds: 8, QueryRows: 100_000, Documents: 1_000, RetrievalQueries: 20,
            Tables: 500, Files: 2_000, Repetitions: 3),
        _ => throw new ArgumentException($"Unknown size '{name}': quick or full."),
    };
}
