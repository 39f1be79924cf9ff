using System.Collections.Concurrent;
using System.Threading.Channels;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Schema;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// Group commit: prepared requests for one table queue up while that table's previous commit runs, then go out
/// together as one commit. A request's task completes only after its commit, so a 201 still means committed. Each
/// table's queue is bounded: when it is full the request is refused with 503 and Retry-After, not held.
/// </summary>
public sealed class IngestQueue : IAsyncDisposable
{
    /// <summary>A request waiting for its commit, with the trace it came from (the commit's span links to it).</summary>
    public sealed record Pending(PreparedIngest Request, TaskCompletionSource<IngestReply> Reply)
    {
        public System.Diagnostics.ActivityContext? Caller { get; } = System.Diagnostics.Activity.Current?.Context;
    }

    private readonly ConcurrentDictionary<TableName, (Channel<Pending> Channel, Task Worker)> _tables = new();
    private readonly LakeAccessor _lakes;
    private readonly IngestCommitter _committer;
    private readonly IOptions<DataPlaneOptions> _options;
    private readonly ILogger<IngestQueue> _logger;

    public IngestQueue(LakeAccessor lakes, IngestCommitter committer, IOptions<DataPlaneOptions> options, ILogger<IngestQueue> logger,
        Telemetry.DataPlaneMetrics metrics)
    {
        (_lakes, _committer, _options, _logger) = (lakes, committer, options, logger);
        metrics.Observe("dataplane.ingest.queue_depth", "{request}", "Requests waiting for their commit, all tables",
            () => _tables.Values.Sum(t => (long)t.Channel.Reader.Count));
    }
    private readonly CancellationTokenSource _stopping = new();

    public Task<IngestReply> SubmitAsync(PreparedIngest request)
    {
        var pending = new Pending(request, new TaskCompletionSource<IngestReply>(TaskCreationOptions.RunContinuationsAsynchronously));
        var queue = _tables.GetOrAdd(request.Command.Table, table =>
        {
            var channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, _options.Value.Ingest.MaxQueuedRequests))
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            return (channel, Task.Run(() => RunAsync(table, channel.Reader)));
        });
        if (!queue.Channel.Writer.TryWrite(pending))
            pending.Reply.TrySetException(_stopping.IsCancellationRequested
                ? IngestRejectedException.Unavailable("The service is stopping; retry.")
                : IngestRejectedException.Unavailable($"Table {request.Command.Table} has {_options.Value.Ingest.MaxQueuedRequests} requests waiting for their commit; retry shortly."));
        return pending.Reply.Task;
    }

    private async Task RunAsync(TableName table, ChannelReader<Pending> reader)
    {
        var limits = _options.Value.Ingest;
        var busy = false;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Under concurrent load, requests arrive while a commit runs: a short wait lets the stragglers join this one.
            if (busy && limits.LingerMilliseconds > 0) await Task.Delay(limits.LingerMilliseconds);
            List<Pending> batch = [];
            var rows = 0;
            while (batch.Count < limits.MaxBatchRequests && rows < limits.MaxBatchRows && reader.TryRead(out var next))
            {
                batch.Add(next);
                rows += next.Request.RowCount;
            }
            busy = batch.Count > 1;
            try
            {
                var lake = await _lakes.GetAsync(_stopping.Token);
                await _committer.CommitAsync(lake, table, batch, _stopping.Token);
            }
            catch (Exception e)
            {
                // The committer answers every request itself; this only guards the loop, so no request waits forever.
                _logger.LogError(e, "Group commit of {Count} requests into {Table} failed", batch.Count, table);
                foreach (var pending in batch) pending.Reply.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (channel, _) in _tables.Values) channel.Writer.TryComplete();
        // Let queued requests finish their commits before the lake closes.
        await Task.WhenAll(_tables.Values.Select(t => t.Worker));
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }
}
