using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Policy;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Maintenance;

/// <summary>
/// The maintenance steps with their configured thresholds: <c>flush</c> inlined rows to Parquet, <c>merge</c> small
/// files per partition, <c>expire</c> old snapshots (keeping what live checkpoints pin), <c>cleanup</c> files no
/// snapshot needs after a grace period, delete <c>orphans</c> no catalog row names (and uploads never completed).
/// </summary>
public sealed class MaintenanceSteps(PolicyStore policies, Objects.ObjectUploads uploads, IOptions<DataPlaneOptions> options, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Names = ["flush", "merge", "expire", "cleanup", "orphans"];

    public async Task<MaintenanceReport> RunAsync(Lakehouse lake, string step, bool dryRun, CancellationToken cancellationToken)
    {
        var settings = options.Value.Maintenance;
        var now = time.GetUtcNow();
        return step switch
        {
            "flush" => await lake.FlushInlinedDataAsync(dryRun, cancellationToken),
            "merge" => await lake.MergeAdjacentFilesAsync(settings.MergeTargetMegabytes * 1024L * 1024, dryRun, cancellationToken),
            "expire" => await lake.ExpireSnapshotsAsync(now.AddHours(-settings.KeepSnapshotsHours),
                await PinnedSnapshots.LiveAsync(lake, policies, now, cancellationToken), dryRun, cancellationToken),
            "cleanup" => await lake.CleanupOldFilesAsync(now.AddMinutes(-settings.CleanupGraceMinutes), dryRun, cancellationToken),
            "orphans" => await OrphansAsync(lake, TimeSpan.FromHours(settings.OrphanGraceHours), dryRun, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, "unknown maintenance step"),
        };
    }

    /// <summary>Data files no catalog row names, and the bytes of presigned uploads never completed.</summary>
    private async Task<MaintenanceReport> OrphansAsync(Lakehouse lake, TimeSpan grace, bool dryRun, CancellationToken cancellationToken)
    {
        var report = await lake.DeleteOrphanedFilesAsync(time.GetUtcNow() - grace, dryRun, cancellationToken);
        var abandoned = await uploads.SweepExpiredAsync(grace, dryRun, cancellationToken);
        return report with { Files = [.. report.Files, .. abandoned] };
    }
}
