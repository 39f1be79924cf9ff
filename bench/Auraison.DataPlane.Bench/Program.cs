using Auraison.DataPlane.Bench;

// bench <quick|full> <service dll> <results dir>: each workload against the service, then its baseline, in this run.
var sizes = BenchSizes.For(args.Length > 0 ? args[0] : "quick");
List<Result> results = [];
await using (var bench = await BenchEnvironment.StartAsync(sizes, args[1]))
{
    foreach (var (name, workload) in new (string, Func<BenchEnvironment, Task<IReadOnlyList<Result>>>)[]
    {
        ("bulk ingest", IngestWorkloads.BulkAsync), ("small ingest", IngestWorkloads.SmallAsync), ("query", QueryWorkload.RunAsync),
        ("retrieval", RetrievalWorkload.RunAsync), ("catalog scale", CatalogScale.RunAsync),
    })
    {
        Console.Error.WriteLine($"[bench] {name} ({sizes.Name})");
        results.AddRange(await workload(bench));
    }
}

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:0.#} GiB, " +
              $"{File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()}, " +
              $".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
Report.Write(args[2], sizes.Name, results, machine);
return 0;
