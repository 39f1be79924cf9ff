using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Auraison.DataPlane.Lake;

/// <summary>
/// What the engine reports, through the runtime's own diagnostics types (a host listens with OpenTelemetry or not at
/// all): spans for commits and uploads, object-store calls counted by operation, commit latency.
/// </summary>
public static class LakeTelemetry
{
    public const string Name = "Auraison.DataPlane.Lake";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> StoreCalls = Meter.CreateCounter<long>("lake.storage.calls", description: "Object-store calls, by operation and outcome");

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("lake.commit.duration", "ms", "Catalog commits, from start to committed");

    internal static void StoreCall(string operation, bool succeeded) =>
        StoreCalls.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "error"));

    internal static void Committed(TimeSpan elapsed) => CommitDuration.Record(elapsed.TotalMilliseconds);
}
