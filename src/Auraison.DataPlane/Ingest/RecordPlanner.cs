using System.Text.Json;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Ingest;

/// <summary>A record that does not fit: which one, which field, what the column wants and what came.</summary>
public sealed record RecordError(int RecordIndex, string Field, string Expected, string Actual, string Message);

/// <summary>
/// Which records of a request can be stored, which cannot and why, the columns they add, and the records DuckDB's
/// JSON reader would read differently than the rules say (field names in another case, date-times in forms it does
/// not parse): those are rewritten before staging, all others go to DuckDB as they arrived.
/// </summary>
public sealed record RecordPlan(IReadOnlyList<int> ValidRecords, IReadOnlyList<RecordError> Errors, IReadOnlyList<ColumnDefinition> NewColumns,
    IReadOnlySet<int> Rewrite);

/// <summary>Checks records against a table's columns; fields the table lacks become new columns where the table allows it.</summary>
public static class RecordPlanner
{
    public static RecordPlan Plan(RequestSpool records, IReadOnlyList<ColumnDefinition> columns, bool acceptNewFields)
    {
        var known = columns.ToDictionary(c => c.Name, c => (c.Name, c.Type), StringComparer.OrdinalIgnoreCase);
        var inferred = new Dictionary<string, (string Name, LakeType Type, int From)>(StringComparer.OrdinalIgnoreCase);
        var wellFormed = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        List<int> valid = [];
        List<RecordError> errors = [];
        HashSet<int> rewrite = [];
        records.ForEach((index, record) =>
        {
            seen.Clear();
            var error = Check(record, index, known, inferred, acceptNewFields, wellFormed, seen, out var needsRewrite);
            if (error is not null) errors.Add(error);
            else valid.Add(index);
            if (error is null && needsRewrite) rewrite.Add(index);
        });
        var added = inferred.Values.OrderBy(v => v.From).Select(v => new ColumnDefinition(v.Name, v.Type)).ToList();
        return new RecordPlan(valid, errors, added, rewrite);
    }

    private static RecordError? Check(JsonElement record, int index, Dictionary<string, (string Name, LakeType Type)> known,
        Dictionary<string, (string Name, LakeType Type, int From)> inferred, bool acceptNewFields, HashSet<string> wellFormed, HashSet<string> seen,
        out bool needsRewrite)
    {
        needsRewrite = false;
        if (record.ValueKind != JsonValueKind.Object)
            return new RecordError(index, "", "object", JsonTyping.KindOf(record), $"record {index} is a JSON {JsonTyping.KindOf(record)}, not an object");
        // Fields new to the table are rare after a table's first request: their map is made when one shows up.
        Dictionary<string, (string Name, LakeType Type, int From)>? pending = null;
        var first = true;
        foreach (var field in record.EnumerateObject())
        {
            // The spool's own position field leads every object.
            if (first && field.Name == RequestSpool.IndexField) { first = false; continue; }
            first = false;
            // Records of a request repeat the same names: each is checked against the naming rules once.
            if (!wellFormed.Contains(field.Name))
            {
                if (Identifiers.FieldProblem(field.Name) is { } rule)
                    return new RecordError(index, field.Name, "a valid field name", field.Name, $"record {index}: {rule}");
                wellFormed.Add(field.Name);
            }
            if (!seen.Add(field.Name))
                return new RecordError(index, field.Name, "one value per field", "a repeated field", $"record {index} has field '{field.Name}' twice");
            if (known.TryGetValue(field.Name, out var column))
            {
                if (JsonTyping.Mismatch(field.Value, column.Type) is { } mismatch)
                    return new RecordError(index, field.Name, column.Type.ToString(), JsonTyping.KindOf(field.Value),
                        $"record {index} field '{field.Name}': expected {column.Type}, got {mismatch}");
                needsRewrite |= field.Name != column.Name || JsonTyping.NeedsRewrite(field.Value, column.Type);
                continue;
            }
            if (JsonTyping.Infer(field.Value) is not { } suggested) continue;
            if (JsonTyping.Mismatch(field.Value, suggested) is { } invalid)
                return new RecordError(index, field.Name, suggested.ToString(), JsonTyping.KindOf(field.Value),
                    $"record {index} field '{field.Name}': {invalid}");
            if (!acceptNewFields)
                return new RecordError(index, field.Name, "a declared column", JsonTyping.KindOf(field.Value),
                    $"record {index} field '{field.Name}' is not a column of this table, which rejects unknown fields");
            pending ??= new Dictionary<string, (string Name, LakeType Type, int From)>(StringComparer.OrdinalIgnoreCase);
            var before = inferred.TryGetValue(field.Name, out var earlier) ? earlier : pending.GetValueOrDefault(field.Name);
            if (before.Type is null)
            {
                pending[field.Name] = (field.Name, suggested, index);
                needsRewrite |= JsonTyping.NeedsRewrite(field.Value, suggested);
                continue;
            }
            var widened = JsonTyping.Widen(before.Type, suggested);
            if (widened is null)
                return new RecordError(index, field.Name, before.Type.ToString(), suggested.ToString(),
                    $"record {index} field '{field.Name}' is {suggested}, but record {before.From} made it {before.Type}");
            pending[field.Name] = (before.Name, widened, before.From);
            needsRewrite |= field.Name != before.Name || JsonTyping.NeedsRewrite(field.Value, widened);
        }
        foreach (var (name, value) in pending ?? []) inferred[name] = value;
        return null;
    }
}
