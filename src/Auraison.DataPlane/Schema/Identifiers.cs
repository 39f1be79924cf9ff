using System.Text.RegularExpressions;

namespace Auraison.DataPlane.Schema;

/// <summary>
/// Naming rules for what callers create: schemas and tables are lowercase snake_case so agents can write them
/// unquoted; fields may use capitals. Nothing needs quoting, and the reserved <c>_dp_</c> prefix stays ours.
/// </summary>
public static partial class Identifiers
{
    public const int MaxLength = 63;
    public const string ReservedPrefix = "_dp_";
    public const string DefaultSchema = "main";

    private static readonly HashSet<string> ReservedSchemas = new(StringComparer.OrdinalIgnoreCase)
    {
        "information_schema", "pg_catalog", "temp", "system", "memory", "lineage", "quarantine",
        // Written by the service alone: a row of objects.registry names the bytes GET /data/objects serves, one of
        // datasets.registry the export that produced a dataset.
        "objects", "datasets",
    };

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex TablePart();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex FieldName();

    /// <summary>Parses <c>name</c> or <c>schema.name</c>; on failure says which rule the text broke.</summary>
    public static bool TryParseTable(string? text, out TableName table, out string problem, bool allowReservedSchema = false)
    {
        table = default;
        if (string.IsNullOrWhiteSpace(text)) { problem = "a table name is required ('name' or 'schema.name')"; return false; }
        var parts = text.Split('.');
        if (parts.Length > 2) { problem = $"'{text}' has more than one '.'; use 'name' or 'schema.name'"; return false; }
        var (schema, name) = parts.Length == 2 ? (parts[0], parts[1]) : (DefaultSchema, parts[0]);
        if (PartProblem(schema, "schema") is { } schemaProblem) { problem = schemaProblem; return false; }
        if (PartProblem(name, "table") is { } nameProblem) { problem = nameProblem; return false; }
        if (!allowReservedSchema && ReservedSchemas.Contains(schema)) { problem = $"schema '{schema}' is reserved"; return false; }
        table = new TableName(schema, name);
        problem = "";
        return true;
    }

    /// <summary>Null when the field name is acceptable, otherwise the rule it breaks.</summary>
    public static string? FieldProblem(string name)
    {
        if (name.Length == 0) return "a field name cannot be empty";
        if (name.Length > MaxLength) return $"field '{Shorten(name)}' is longer than {MaxLength} characters";
        if (!FieldName().IsMatch(name)) return $"field '{Shorten(name)}' must start with a letter or '_' and contain only letters, digits and '_'";
        if (name.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase)) return $"field '{name}' uses the reserved prefix '{ReservedPrefix}'";
        return null;
    }

    /// <summary>Whether a caller may name this column in a definition that reads tables (the lineage columns included).</summary>
    public static bool IsReadableColumn(string name) =>
        FieldProblem(name.StartsWith(ReservedPrefix, StringComparison.Ordinal) ? name[1..] : name) is null;

    private static string? PartProblem(string part, string kind)
    {
        if (part.Length == 0) return $"the {kind} name is empty";
        if (part.Length > MaxLength) return $"{kind} name '{Shorten(part)}' is longer than {MaxLength} characters";
        if (!TablePart().IsMatch(part)) return $"{kind} name '{Shorten(part)}' must be lowercase letters, digits and '_', starting with a letter or '_'";
        if (part.StartsWith(ReservedPrefix, StringComparison.Ordinal)) return $"{kind} name '{part}' uses the reserved prefix '{ReservedPrefix}'";
        return null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>A lake table name as callers write it: <c>schema.name</c>.</summary>
public readonly record struct TableName(string Schema, string Name)
{
    public override string ToString() => $"{Schema}.{Name}";
}
