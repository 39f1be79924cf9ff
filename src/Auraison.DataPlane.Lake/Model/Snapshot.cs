namespace Auraison.DataPlane.Lake.Model;

/// <summary>One row of <c>ducklake_snapshot</c>: a committed version of the whole lake.</summary>
public sealed record SnapshotInfo(long Id, DateTimeOffset Time, long SchemaVersion, long NextCatalogId, long NextFileId);

/// <summary>A snapshot with what its commit recorded in <c>ducklake_snapshot_changes</c>.</summary>
public sealed record SnapshotRecord(SnapshotInfo Snapshot, string ChangesMade, string? Author, string? CommitMessage)
{
    /// <summary>The commit's <c>commit_extra_info</c>: whatever its writer recorded beside the message.</summary>
    public string? ExtraInfo { get; init; }

    public IReadOnlyList<SnapshotChange> Changes => SnapshotChange.Parse(ChangesMade);
}

/// <summary>How a reader picks a snapshot.</summary>
public abstract record SnapshotSelector
{
    public static SnapshotSelector Latest { get; } = new LatestSnapshot();

    public static SnapshotSelector ById(long id) => new SnapshotById(id);

    public static SnapshotSelector AsOf(DateTimeOffset time) => new SnapshotAsOf(time);

    public sealed record LatestSnapshot : SnapshotSelector;

    public sealed record SnapshotById(long Id) : SnapshotSelector;

    public sealed record SnapshotAsOf(DateTimeOffset Time) : SnapshotSelector;
}

public sealed class SnapshotNotFoundException(string message) : Exception(message);
