namespace Auraison.DataPlane.Hosting;

/// <summary>A background job run every <see cref="Interval"/> (never when that is zero); a failed run is logged and the next one retries.</summary>
public abstract class PeriodicService(ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    /// <summary>What the job does, for its log line when a run fails.</summary>
    protected abstract string What { get; }

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{What} failed; the next run retries", What);
            }
        }
    }
}
