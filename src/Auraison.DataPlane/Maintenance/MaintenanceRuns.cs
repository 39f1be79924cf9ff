using System.Globalization;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake.Catalog;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Maintenance;

/// <summary>
/// Who may run a step now, and what runs did. A step is held by one replica at a time through a lease row in the
/// catalog database (a replica that dies mid-step releases it when the lease ends); every run is logged there, for
/// <c>Maintenance:KeepRunsDays</c>.
/// </summary>
public sealed class MaintenanceRuns(TimeProvider time, IOptions<DataPlaneOptions> options)
{
    private static readonly TimeSpan Lease = TimeSpan.FromHours(1);

    /// <summary>This process, as it signs its leases and runs.</summary>
    public string Replica { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public sealed record Run(string RunId, string Step, bool DryRun, string Outcome, DateTimeOffset StartedAt, long Milliseconds, string Replica,
        long Snapshots, long Files, long Bytes, string? Detail);

    public async Task<bool> TryHoldAsync(Lakehouse lake, string step, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, "INSERT INTO dataplane_maintenance_locks VALUES ($1, NULL, NULL) ON CONFLICT DO NOTHING", cancellationToken, step);
        return await connection.ExecuteAsync(null,
            """
            UPDATE dataplane_maintenance_locks SET holder = $2, held_until = CAST($3 AS TIMESTAMP WITH TIME ZONE)
            WHERE step = $1 AND (held_until IS NULL OR held_until < CAST($4 AS TIMESTAMP WITH TIME ZONE))
            """, cancellationToken, step, Replica, CatalogReader.Timestamp(now + Lease), CatalogReader.Timestamp(now)) == 1;
    }

    public async Task ReleaseAsync(Lakehouse lake, string step)
    {
        await using var connection = await lake.Catalog.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(null, "UPDATE dataplane_maintenance_locks SET held_until = NULL WHERE step = $1 AND holder = $2",
            CancellationToken.None, step, Replica);
    }

    /// <summary>Logs the run, and drops the runs logged before the log's reach.</summary>
    public async Task RecordAsync(Lakehouse lake, Run run)
    {
        await using var connection = await lake.Catalog.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(null,
            "INSERT INTO dataplane_maintenance_runs VALUES ($1, $2, $3, $4, CAST($5 AS TIMESTAMP WITH TIME ZONE), $6, $7, $8, $9, $10, $11)",
            CancellationToken.None, run.RunId, run.Step, run.DryRun, run.Outcome, CatalogReader.Timestamp(run.StartedAt), run.Milliseconds, run.Replica,
            run.Snapshots, run.Files, run.Bytes, run.Detail);
        var oldest = time.GetUtcNow() - TimeSpan.FromDays(options.Value.Maintenance.KeepRunsDays);
        await connection.ExecuteAsync(null, "DELETE FROM dataplane_maintenance_runs WHERE started_at < CAST($1 AS TIMESTAMP WITH TIME ZONE)",
            CancellationToken.None, CatalogReader.Timestamp(oldest));
    }

    /// <summary>The newest runs, newest first.</summary>
    public static async Task<List<Run>> RecentAsync(Lakehouse lake, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            $"""
             SELECT run_id, step, dry_run, outcome, CAST(started_at AS VARCHAR), milliseconds, replica, snapshots, files, bytes, detail
             FROM dataplane_maintenance_runs ORDER BY started_at DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
             """,
            r => new Run(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3), DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture),
                r.GetInt64(5), r.GetString(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.NullableString(10)),
            cancellationToken);
    }
}
