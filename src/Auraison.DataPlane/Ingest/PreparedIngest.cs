using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// A request ready for its group commit: checked against the table it was planned on, with either its rows staged to
/// Parquet and uploaded (large requests, staged in parallel) or its valid rows still spooled (small ones, staged or
/// inlined together with the rest of their commit). Disposing it removes its local files and, unless its commit
/// named them, its uploads.
/// </summary>
public sealed class PreparedIngest(Lakehouse lake, IngestCommand command, LakeTable table, RecordPlan plan) : IAsyncDisposable
{
    private readonly List<RequestSpool> _ownedSpools = [];

    public IngestCommand Command { get; } = command;

    /// <summary>The table as the request was planned and staged against.</summary>
    public LakeTable Table { get; } = table;

    public RecordPlan Plan { get; } = plan;

    /// <summary>The valid rows, not staged yet; null once staged.</summary>
    public RequestSpool? Rows { get; private set; }

    public IReadOnlyList<StagedFile> Files { get; private set; } = [];

    public LakeTable? Quarantine { get; private set; }

    public IReadOnlyList<StagedFile> QuarantineFiles { get; private set; } = [];

    /// <summary>Set once the commit that names the uploads succeeded: they stay.</summary>
    public bool Committed { get; set; }

    public int RowCount => Plan.ValidRecords.Count;

    /// <summary>Spools this request made itself (a selection of the records) are deleted with it.</summary>
    public void UseRows(RequestSpool rows, bool owned)
    {
        Rows = rows;
        if (owned) _ownedSpools.Add(rows);
    }

    public void UseFiles(IReadOnlyList<StagedFile> files)
    {
        Files = files;
        Rows = null;
    }

    public void UseQuarantine(LakeTable quarantine, IReadOnlyList<StagedFile> files)
    {
        Quarantine = quarantine;
        QuarantineFiles = files;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var spool in _ownedSpools) spool.Dispose();
        foreach (var file in Files.Concat(QuarantineFiles)) File.Delete(file.LocalPath);
        if (Committed) return;
        await lake.DeleteUploadedAsync(Table, Files, CancellationToken.None);
        if (Quarantine is not null) await lake.DeleteUploadedAsync(Quarantine, QuarantineFiles, CancellationToken.None);
    }
}
