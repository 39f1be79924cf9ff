using System.Diagnostics;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Maintenance;

/// <summary>Runs a step if no other replica is running it, and logs the run (what it did, how long it took, or why it failed).</summary>
public sealed class MaintenanceRunner(LakeAccessor lakes, MaintenanceSteps steps, MaintenanceRuns runs, TimeProvider time,
    ILogger<MaintenanceRunner> logger, Telemetry.DataPlaneMetrics metrics)
{
    /// <summary>The run, or null when another replica holds the step right now.</summary>
    public async Task<MaintenanceRuns.Run?> RunAsync(string step, bool dryRun, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        // A dry run changes nothing, so it needs no lease.
        if (!dryRun && !await runs.TryHoldAsync(lake, step, cancellationToken)) return null;
        var started = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        MaintenanceRuns.Run run;
        try
        {
            var report = await steps.RunAsync(lake, step, dryRun, cancellationToken);
            run = new(Guid.CreateVersion7().ToString(), step, dryRun, "ok", started, clock.ElapsedMilliseconds, runs.Replica,
                report.Snapshots.Count, report.Files.Count, report.Bytes, report.Files.Count == 0 ? null : string.Join("\n", report.Files.Take(100)));
            logger.LogInformation("Maintenance {Step}{DryRun}: {Snapshots} snapshots, {Files} files, {Bytes} bytes in {Milliseconds} ms", step,
                dryRun ? " (dry run)" : "", run.Snapshots, run.Files, run.Bytes, run.Milliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run = new(Guid.CreateVersion7().ToString(), step, dryRun, "failed", started, clock.ElapsedMilliseconds, runs.Replica, 0, 0, 0, e.Message);
            logger.LogWarning(e, "Maintenance {Step} failed; the next run retries", step);
        }
        finally
        {
            if (!dryRun) await runs.ReleaseAsync(lake, step);
        }
        await runs.RecordAsync(lake, run);
        metrics.MaintenanceRan(step, dryRun ? "dry_run" : run.Outcome);
        return run;
    }
}

/// <summary>Runs the configured steps every <c>Maintenance:IntervalSeconds</c>, on every replica; the lease lets one do each.</summary>
public sealed class MaintenanceScheduler(MaintenanceRunner runner, IOptions<DataPlaneOptions> options, ILogger<MaintenanceScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Maintenance;
        if (settings.IntervalSeconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.IntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                foreach (var step in settings.StepList())
                {
                    try
                    {
                        await runner.RunAsync(step, dryRun: false, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The catalog is unreachable (recording the run failed too): the next tick tries again.
                        logger.LogWarning(e, "Scheduled maintenance {Step} could not run", step);
                    }
                }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
