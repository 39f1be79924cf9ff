using System.Collections.Concurrent;
using System.Threading.Channels;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Schema;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// Group commit: requests for one table queue up while that table's previous commit runs, then go out together as
/// one commit. A request's task completes only after its commit, so a 201 still means committed.
/// </summary>
public sealed class IngestQueue(LakeAccessor lakes, IngestWriter writer, IOptions<DataPlaneOptions> options, ILogger<IngestQueue> logger)
    : IAsyncDisposable
{
    private readonly ConcurrentDictionary<TableName, (Channel<IngestWriter.Pending> Channel, Task Worker)> _tables = new();
    private readonly CancellationTokenSource _stopping = new();

    public Task<IngestReply> SubmitAsync(IngestCommand command)
    {
        var pending = new IngestWriter.Pending(command, new TaskCompletionSource<IngestReply>(TaskCreationOptions.RunContinuationsAsynchronously));
        var queue = _tables.GetOrAdd(command.Table, table =>
        {
            var channel = Channel.CreateUnbounded<IngestWriter.Pending>(new UnboundedChannelOptions { SingleReader = true });
            return (channel, Task.Run(() => RunAsync(table, channel.Reader)));
        });
        if (!queue.Channel.Writer.TryWrite(pending))
            pending.Reply.TrySetException(new IngestRejectedException(StatusCodes.Status503ServiceUnavailable, "Shutting down", "The service is stopping; retry."));
        return pending.Reply.Task;
    }

    private async Task RunAsync(TableName table, ChannelReader<IngestWriter.Pending> reader)
    {
        var limits = options.Value.Ingest;
        var busy = false;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Under concurrent load, requests arrive while a commit runs: a short wait lets the stragglers join this one.
            if (busy && limits.LingerMilliseconds > 0) await Task.Delay(limits.LingerMilliseconds);
            List<IngestWriter.Pending> batch = [];
            var rows = 0;
            while (batch.Count < limits.MaxBatchRequests && rows < limits.MaxBatchRows && reader.TryRead(out var next))
            {
                batch.Add(next);
                rows += next.Command.Records.Count;
            }
            busy = batch.Count > 1;
            try
            {
                var lake = await lakes.GetAsync(_stopping.Token);
                await writer.WriteAsync(lake, table, batch, _stopping.Token);
            }
            catch (Exception e)
            {
                if (e is not IngestRejectedException) logger.LogError(e, "Group commit of {Count} requests into {Table} failed", batch.Count, table);
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
