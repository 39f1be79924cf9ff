using System.Text.Json;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Ingest;

/// <summary>A record that does not fit: which one, which field, what the column wants and what came.</summary>
public sealed record RecordError(int RecordIndex, string Field, string Expected, string Actual, string Message);

/// <summary>Which records of a request can be stored, which cannot and why, and the columns they add.</summary>
public sealed record RecordPlan(IReadOnlyList<int> ValidRecords, IReadOnlyList<RecordError> Errors, IReadOnlyList<ColumnDefinition> NewColumns);

/// <summary>Checks records against a table's columns; fields the table lacks become new columns where the table allows it.</summary>
public static class RecordPlanner
{
    public static RecordPlan Plan(IReadOnlyList<JsonElement> records, IReadOnlyList<ColumnDefinition> columns, bool acceptNewFields)
    {
        var known = columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.OrdinalIgnoreCase);
        var inferred = new Dictionary<string, (string Name, LakeType Type, int From)>(StringComparer.OrdinalIgnoreCase);
        var wellFormed = new HashSet<string>(StringComparer.Ordinal);
        List<int> valid = [];
        List<RecordError> errors = [];
        for (var index = 0; index < records.Count; index++)
        {
            var error = Check(records[index], index, known, inferred, acceptNewFields, wellFormed);
            if (error is null) valid.Add(index);
            else errors.Add(error);
        }
        var added = inferred.Values.OrderBy(v => v.From).Select(v => new ColumnDefinition(v.Name, v.Type)).ToList();
        return new RecordPlan(valid, errors, added);
    }

    private static RecordError? Check(JsonElement record, int index, Dictionary<string, LakeType> known,
        Dictionary<string, (string Name, LakeType Type, int From)> inferred, bool acceptNewFields, HashSet<string> wellFormed)
    {
        if (record.ValueKind != JsonValueKind.Object)
            return new RecordError(index, "", "object", JsonTyping.KindOf(record), $"record {index} is a JSON {JsonTyping.KindOf(record)}, not an object");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Dictionary<string, (string Name, LakeType Type, int From)> pending = new(StringComparer.OrdinalIgnoreCase);
        foreach (var field in record.EnumerateObject())
        {
            // Records of a request repeat the same names: each is checked against the naming rules once.
            if (!wellFormed.Contains(field.Name))
            {
                if (Identifiers.FieldProblem(field.Name) is { } rule)
                    return new RecordError(index, field.Name, "a valid field name", field.Name, $"record {index}: {rule}");
                wellFormed.Add(field.Name);
            }
            if (!seen.Add(field.Name))
                return new RecordError(index, field.Name, "one value per field", "a repeated field", $"record {index} has field '{field.Name}' twice");
            if (known.TryGetValue(field.Name, out var type))
            {
                if (JsonTyping.Mismatch(field.Value, type) is { } mismatch)
                    return new RecordError(index, field.Name, type.ToString(), JsonTyping.KindOf(field.Value),
                        $"record {index} field '{field.Name}': expected {type}, got {mismatch}");
                continue;
            }
            if (JsonTyping.Infer(field.Value) is not { } suggested) continue;
            if (!acceptNewFields)
                return new RecordError(index, field.Name, "a declared column", JsonTyping.KindOf(field.Value),
                    $"record {index} field '{field.Name}' is not a column of this table, which rejects unknown fields");
            var before = inferred.TryGetValue(field.Name, out var earlier) ? earlier : pending.GetValueOrDefault(field.Name);
            if (before.Type is null)
            {
                pending[field.Name] = (field.Name, suggested, index);
                continue;
            }
            var widened = JsonTyping.Widen(before.Type, suggested);
            if (widened is null)
                return new RecordError(index, field.Name, before.Type.ToString(), suggested.ToString(),
                    $"record {index} field '{field.Name}' is {suggested}, but record {before.From} made it {before.Type}");
            pending[field.Name] = (before.Name, widened, before.From);
        }
        foreach (var (name, value) in pending) inferred[name] = value;
        return null;
    }
}
