using Auraison.DataPlane.Bench;

// bench <quick|full> <service dll> <results dir>: each workload against the service, then its baseline, in this run.
var sizes = BenchSizes.For(args.Length > 0 ? args[0] : "quick");
var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:0.#} GiB, " +
              $"{File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()}, " +
              $".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
List<Result> results = [];
var failed = false;
await using (var bench = await BenchEnvironment.StartAsync(sizes, args[1]))
{
    foreach (var (name, workload) in new (string, Func<BenchEnvironment, Task<IReadOnlyList<Result>>>)[]
    {
        ("bulk ingest", IngestWorkloads.BulkAsync), ("small ingest", IngestWorkloads.SmallAsync), ("large bodies", IngestWorkloads.LargeBodiesAsync),
        ("query", QueryWorkload.RunAsync),
        ("catalog scale", CatalogScale.RunAsync), ("retrieval", RetrievalWorkload.RunAsync), ("training", TrainingWorkload.RunAsync),
    })
    {
        if (Environment.GetEnvironmentVariable("BENCH_ONLY") is { } only && !only.Split(',').Contains(name)) continue;
        Console.Error.WriteLine($"[bench] {name} ({sizes.Name}) at {DateTime.UtcNow:HH:mm:ss}");
        try
        {
            results.AddRange(await workload(bench));
        }
        catch (Exception e)
        {
            // A long run keeps what it measured so far; the report names the workload that broke.
            failed = true;
            results.Add(new Result(name, "failed (see notes)", 0, "—", null, "—", false, e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" ")));
            Console.Error.WriteLine($"[bench] {name} failed: {e}");
        }
        Report.Write(args[2], sizes.Name, results, machine);
    }
}
return failed ? 1 : 0;
