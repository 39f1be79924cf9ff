namespace Auraison.DataPlane.Lake.Writing;

/// <summary>Who commits and why (stored in ducklake_snapshot_changes), and how hard to retry a lost race.</summary>
public sealed record CommitOptions
{
    public static CommitOptions Default { get; } = new();

    public string? Author { get; init; }

    public string? Message { get; init; }

    public string? ExtraInfo { get; init; }

    public int MaxRetries { get; init; } = 40;

    public TimeSpan RetryWait { get; init; } = TimeSpan.FromMilliseconds(10);

    public double RetryBackoff { get; init; } = 1.5;

    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>The result of an operation and the snapshot its commit created (or the base one when nothing changed).</summary>
public sealed record Committed<T>(T Value, long SnapshotId, bool CreatedSnapshot);
