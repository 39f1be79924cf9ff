using System.Text;

namespace Auraison.DataPlane.Lake.Model;

/// <summary>
/// One entry of <c>changes_made</c>: <c>created_table:"s"."t"</c>, <c>inserted_into_table:7</c> and so on.
/// Entries are comma-separated; commas inside double quotes do not split, and <c>""</c> is a quote inside a name.
/// </summary>
public sealed record SnapshotChange(string Kind, string Value)
{
    /// <summary>Every kind the 1.0 extension writes or accepts; anything else breaks its parser.</summary>
    public static readonly IReadOnlySet<string> KnownKinds = new HashSet<string>(StringComparer.Ordinal)
    {
        "created_schema", "created_table", "created_view", "created_scalar_macro", "created_table_macro",
        "dropped_schema", "dropped_table", "dropped_view", "dropped_scalar_macro", "dropped_table_macro",
        "inserted_into_table", "deleted_from_table", "altered_table", "altered_view",
        "inlined_insert", "inlined_delete", "inline_flush", "flushed_inlined", "merge_adjacent", "rewrite_delete", "compacted_table",
    };

    public static SnapshotChange CreatedSchema(string schema) => new("created_schema", Quote(schema));

    public static SnapshotChange CreatedTable(string schema, string table) => new("created_table", Quote(schema) + "." + Quote(table));

    public static SnapshotChange InsertedInto(long tableId) => new("inserted_into_table", Id(tableId));

    public static SnapshotChange DeletedFrom(long tableId) => new("deleted_from_table", Id(tableId));

    public static SnapshotChange Altered(long tableId) => new("altered_table", Id(tableId));

    public static SnapshotChange DroppedTable(long tableId) => new("dropped_table", Id(tableId));

    public static SnapshotChange DroppedSchema(long schemaId) => new("dropped_schema", Id(schemaId));

    public static SnapshotChange Merged(long tableId) => new("merge_adjacent", Id(tableId));

    /// <summary>Rows inserted into the catalog's inlined data: no file added or ended.</summary>
    public const string InlinedInsertKind = "inlined_insert";

    public static SnapshotChange InlinedInsert(long tableId) => new(InlinedInsertKind, Id(tableId));

    public static SnapshotChange InlinedDelete(long tableId) => new("inlined_delete", Id(tableId));

    public static SnapshotChange InlineFlush(long tableId) => new("inline_flush", Id(tableId));

    /// <summary>The table id of an entry about one table by id, else null.</summary>
    public long? TableId => Kind is "inserted_into_table" or "deleted_from_table" or "altered_table" or "dropped_table"
        or "inlined_insert" or "inlined_delete" or "inline_flush" or "flushed_inlined" or "merge_adjacent" or "rewrite_delete" or "compacted_table"
        && long.TryParse(Value, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;

    public override string ToString() => Kind + ":" + Value;

    public static string Format(IEnumerable<SnapshotChange> changes) => string.Join(",", changes.Select(c => c.ToString()));

    public static IReadOnlyList<SnapshotChange> Parse(string changesMade)
    {
        List<SnapshotChange> changes = [];
        var entry = new StringBuilder();
        var quoted = false;
        foreach (var c in changesMade)
        {
            if (c == '"') quoted = !quoted;
            if (c == ',' && !quoted)
            {
                changes.Add(ParseEntry(entry.ToString()));
                entry.Clear();
                continue;
            }
            entry.Append(c);
        }
        if (quoted) throw new FormatException($"Unbalanced quotes in changes_made '{changesMade}'.");
        if (entry.Length > 0) changes.Add(ParseEntry(entry.ToString()));
        return changes;
    }

    /// <summary>The names in a quoted, dot-separated value such as <c>"s"."t"</c>.</summary>
    public IReadOnlyList<string> Names()
    {
        List<string> names = [];
        var i = 0;
        while (i < Value.Length)
        {
            if (Value[i] != '"') throw new FormatException($"Expected a quoted name in '{this}'.");
            var name = new StringBuilder();
            i++;
            while (true)
            {
                if (i >= Value.Length) throw new FormatException($"Unterminated name in '{this}'.");
                if (Value[i] == '"' && i + 1 < Value.Length && Value[i + 1] == '"') { name.Append('"'); i += 2; continue; }
                if (Value[i] == '"') { i++; break; }
                name.Append(Value[i++]);
            }
            names.Add(name.ToString());
            if (i < Value.Length && Value[i] != '.') throw new FormatException($"Expected '.' in '{this}'.");
            i++;
        }
        return names;
    }

    private static SnapshotChange ParseEntry(string entry)
    {
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) throw new FormatException($"'{entry}' is not a type:value change entry.");
        var kind = entry[..colon];
        if (!KnownKinds.Contains(kind)) throw new FormatException($"Unsupported change type '{kind}'.");
        return new SnapshotChange(kind, entry[(colon + 1)..]);
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
