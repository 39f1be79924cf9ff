using System.Text;
using Auraison.DataPlane.Lake.Model;
using Xunit;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// Everything a reader sees of a lake, snapshot by snapshot: the changes each commit made, as the stock extension
/// presents them, and every row of every table visible then (DuckDB's JSON of each row, sorted). Two readers agree
/// on a lake when their views are equal.
/// </summary>
public sealed record LakeView(IReadOnlyList<SnapshotView> Snapshots)
{
    public SnapshotView this[long snapshotId] => Snapshots.Single(s => s.Id == snapshotId);

    /// <summary>
    /// The view with one tenant's own columns under its field names (the service stores a tenant's field of a shared
    /// table as <c>field@tenant</c>), as the service shows that tenant the same rows.
    /// </summary>
    public LakeView AsTenantSees(string tenant) => new(Snapshots.Select(s => s with
    {
        Tables = s.Tables.ToDictionary(t => t.Key, t => (IReadOnlyList<string>)t.Value.Select(row => Unsuffixed(row, "@" + tenant)).Order(StringComparer.Ordinal).ToList()),
    }).ToList());

    private static string Unsuffixed(string row, string suffix)
    {
        using var document = System.Text.Json.JsonDocument.Parse(row);
        return "{" + string.Join(",", document.RootElement.EnumerateObject().Select(p =>
            System.Text.Json.JsonSerializer.Serialize(p.Name.EndsWith(suffix, StringComparison.Ordinal) ? p.Name[..^suffix.Length] : p.Name) + ":" + p.Value.GetRawText())) + "}";
    }

    /// <summary>Fails with the first difference, named by snapshot and table.</summary>
    public static void AssertSame(LakeView expected, LakeView actual, string expectedName, string actualName)
    {
        Assert.True(expected.Snapshots.Select(s => s.Id).SequenceEqual(actual.Snapshots.Select(s => s.Id)),
            $"snapshot ids differ: {expectedName} [{string.Join(", ", expected.Snapshots.Select(s => s.Id))}], " +
            $"{actualName} [{string.Join(", ", actual.Snapshots.Select(s => s.Id))}]");
        foreach (var (e, a) in expected.Snapshots.Zip(actual.Snapshots))
        {
            Assert.True(e.Changes == a.Changes, $"snapshot {e.Id}: changes {expectedName} '{e.Changes}', {actualName} '{a.Changes}'");
            if (!e.Readable || !a.Readable) continue;
            Assert.True(e.Tables.Keys.Order().SequenceEqual(a.Tables.Keys.Order()),
                $"snapshot {e.Id}: tables {expectedName} [{string.Join(", ", e.Tables.Keys.Order())}], {actualName} [{string.Join(", ", a.Tables.Keys.Order())}]");
            foreach (var (table, rows) in e.Tables)
                Assert.True(rows.SequenceEqual(a.Tables[table]),
                    $"snapshot {e.Id}, {table}: {expectedName} has {rows.Count} rows, {actualName} {a.Tables[table].Count}; " +
                    FirstDifference(rows, a.Tables[table], expectedName, actualName));
        }
    }

    private static string FirstDifference(IReadOnlyList<string> expected, IReadOnlyList<string> actual, string expectedName, string actualName)
    {
        var missing = expected.Except(actual).FirstOrDefault();
        var extra = actual.Except(expected).FirstOrDefault();
        return $"only in {expectedName}: {missing ?? "(none)"}; only in {actualName}: {extra ?? "(none)"}";
    }
}

/// <summary>
/// One snapshot: its id, its changes in canonical form and each visible table's sorted rows; or, when a reader does
/// not keep it readable (time travel before a tenant's retention run), its changes alone.
/// </summary>
public sealed record SnapshotView(long Id, string Changes, IReadOnlyDictionary<string, IReadOnlyList<string>> Tables, bool Readable = true);

/// <summary>
/// The stock extension's presentation of <c>changes_made</c> in <c>snapshots()</c> (a map such as
/// <c>{tables_created=[s.t], tables_inserted_into=[2]}</c>), in one canonical text: keys sorted, values sorted.
/// </summary>
public static class StockChanges
{
    private static readonly Dictionary<string, string> Keys = new(StringComparer.Ordinal)
    {
        ["created_schema"] = "schemas_created",
        ["dropped_schema"] = "schemas_dropped",
        ["created_table"] = "tables_created",
        ["dropped_table"] = "tables_dropped",
        ["altered_table"] = "tables_altered",
        ["created_view"] = "views_created",
        ["dropped_view"] = "views_dropped",
        ["altered_view"] = "views_altered",
        ["inserted_into_table"] = "tables_inserted_into",
        ["deleted_from_table"] = "tables_deleted_from",
        ["inlined_insert"] = "inlined_insert",
        ["inlined_delete"] = "inlined_delete",
        ["inline_flush"] = "flushed_inlined",
        ["merge_adjacent"] = "merge_adjacent",
    };

    /// <summary>The canonical text of a <c>changes_made</c> value as the stock extension would present it.</summary>
    public static string FromChangesMade(string changesMade) => Canonical(SnapshotChange.Parse(changesMade)
        .Select(c => (Keys.GetValueOrDefault(c.Kind, "unmapped:" + c.Kind),
            c.Kind is "created_schema" or "created_table" ? string.Join('.', c.Names()) : c.Value)));

    /// <summary>The canonical text of key/value pairs as the stock CLI printed them.</summary>
    public static string Canonical(IEnumerable<(string Key, string Value)> entries)
    {
        var text = new StringBuilder();
        foreach (var group in entries.GroupBy(e => e.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
            text.Append(group.Key).Append("=[").Append(string.Join(", ", group.Select(e => e.Value).Order(StringComparer.Ordinal))).Append("] ");
        return text.ToString().TrimEnd();
    }
}
