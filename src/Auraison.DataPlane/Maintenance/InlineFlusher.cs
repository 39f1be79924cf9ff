using System.Collections.Concurrent;
using System.Threading.Channels;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Maintenance;

/// <summary>
/// Moves rows the ingest path kept in the catalog into Parquet: a table's rows as soon as this process has inlined
/// <c>Ingest:FlushRows</c> of them, and every table's every <c>Ingest:FlushSeconds</c> (rows other replicas, or an
/// earlier run of this one, inlined). Files per request are then set by the flush size, not the request rate.
/// </summary>
public sealed class InlineFlusher(LakeAccessor lakes, IOptions<DataPlaneOptions> options, ILogger<InlineFlusher> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, long> _inlined = new(StringComparer.Ordinal);
    private readonly Channel<string?> _due = Channel.CreateUnbounded<string?>();

    /// <summary>Counts rows a commit kept in the catalog; a table over the threshold is flushed soon after.</summary>
    public void Inlined(Lakehouse lake, LakeTable table, long rows)
    {
        var name = table.QualifiedName.ToLowerInvariant();
        var total = _inlined.AddOrUpdate(name, rows, (_, before) => before + rows);
        if (total >= options.Value.Ingest.FlushRows && total - rows < options.Value.Ingest.FlushRows) _due.Writer.TryWrite(name);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(Math.Max(1, options.Value.Ingest.FlushSeconds));
        using var timer = new PeriodicTimer(every);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        var due = _due.Reader.WaitToReadAsync(stoppingToken).AsTask();
        try
        {
            while (true)
            {
                if (await Task.WhenAny(tick, due) == tick)
                {
                    if (!await tick) return;
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                    await FlushAsync(null, stoppingToken);
                    continue;
                }
                await due;
                while (_due.Reader.TryRead(out var table)) await FlushAsync(table, stoppingToken);
                due = _due.Reader.WaitToReadAsync(stoppingToken).AsTask();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task FlushAsync(string? table, CancellationToken stoppingToken)
    {
        try
        {
            var lake = await lakes.GetAsync(stoppingToken);
            var report = await lake.FlushInlinedDataAsync(dryRun: false, stoppingToken, table is null ? null : [table]);
            if (table is null) _inlined.Clear();
            else _inlined.TryRemove(table, out _);
            if (report.Bytes > 0) logger.LogInformation("Flushed {Rows} inlined rows into {Files} files", report.Bytes, report.Files.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A writer changed the rows meanwhile, or a store is down: the next turn flushes what is left.
            logger.LogWarning(e, "Flushing inlined rows failed; the next turn retries");
        }
    }
}
