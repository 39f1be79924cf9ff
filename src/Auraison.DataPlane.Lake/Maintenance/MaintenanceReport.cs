namespace Auraison.DataPlane.Lake.Maintenance;

/// <summary>What a maintenance step did, or with a dry run would do.</summary>
public sealed record MaintenanceReport(bool DryRun, IReadOnlyList<long> Snapshots, IReadOnlyList<string> Files, long Bytes)
{
    public static MaintenanceReport Nothing(bool dryRun) => new(dryRun, [], [], 0);
}
