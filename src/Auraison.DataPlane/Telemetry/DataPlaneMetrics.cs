using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Auraison.DataPlane.Telemetry;

/// <summary>
/// The service's own measurements (meter and activity source <c>Auraison.DataPlane</c>): ingest requests, rows and
/// bytes per table and tenant, group-commit size and latency, queue depth, query latency, indexer lag, maintenance runs.
/// </summary>
public sealed class DataPlaneMetrics
{
    public const string Name = "Auraison.DataPlane";

    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _ingestRequests;
    private readonly Counter<long> _ingestRows;
    private readonly Counter<long> _ingestBytes;
    private readonly Histogram<long> _groupCommitSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _queryDuration;
    private readonly Counter<long> _maintenanceRuns;
    private readonly Histogram<double> _indexerLag;
    private readonly Meter _meter;

    public DataPlaneMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _ingestRequests = _meter.CreateCounter<long>("dataplane.ingest.requests", description: "Ingest requests answered, by table, tenant and outcome");
        _ingestRows = _meter.CreateCounter<long>("dataplane.ingest.rows", description: "Rows committed, by table and tenant");
        _ingestBytes = _meter.CreateCounter<long>("dataplane.ingest.bytes", "By", "Request bodies committed, by table and tenant");
        _groupCommitSize = _meter.CreateHistogram<long>("dataplane.commit.requests", description: "Requests per group commit");
        _commitDuration = _meter.CreateHistogram<double>("dataplane.commit.duration", "ms", "Group commits, from the first request taken to all answered");
        _queryDuration = _meter.CreateHistogram<double>("dataplane.query.duration", "ms", "Queries, by outcome");
        _indexerLag = _meter.CreateHistogram<double>("dataplane.indexer.lag", "s", "From an ingest request's arrival to its rows' vectors stored");
        _maintenanceRuns = _meter.CreateCounter<long>("dataplane.maintenance.runs", description: "Maintenance runs, by step and outcome");
    }

    /// <summary>Reports a value read when the metrics are collected (queue depth, indexer lag).</summary>
    public void Observe(string name, string unit, string description, Func<long> read) => _meter.CreateObservableGauge(name, read, unit, description);

    public void Ingested(string table, string tenant, string outcome, long rows, long bytes)
    {
        TagList tags = new() { { "table", table }, { "tenant", tenant } };
        if (rows > 0) _ingestRows.Add(rows, tags);
        if (bytes > 0) _ingestBytes.Add(bytes, tags);
        tags.Add("outcome", outcome);
        _ingestRequests.Add(1, tags);
    }

    public void GroupCommitted(string table, int requests, TimeSpan elapsed)
    {
        _groupCommitSize.Record(requests, new KeyValuePair<string, object?>("table", table));
        _commitDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("table", table));
    }

    public void Queried(string outcome, TimeSpan elapsed) => _queryDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A request's rows were embedded: its lag counts from its arrival, which its version-7 partition id carries.</summary>
    public void Indexed(Guid partitionId, DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        partitionId.TryWriteBytes(bytes, bigEndian: true, out _);
        var arrivedMs = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        _indexerLag.Record((now.ToUnixTimeMilliseconds() - arrivedMs) / 1000.0);
    }

    public void MaintenanceRan(string step, string outcome) =>
        _maintenanceRuns.Add(1, new KeyValuePair<string, object?>("step", step), new KeyValuePair<string, object?>("outcome", outcome));
}
