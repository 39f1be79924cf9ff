using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// How JSON values map to column types. Inference on first sight: integers → int64, other numbers → float64,
/// booleans → boolean, ISO-8601 date-times → timestamptz (UTC when no offset), other strings → varchar, objects →
/// struct, arrays of one kind → list; empty or mixed objects and arrays → json; nulls decide nothing.
/// </summary>
public static partial class JsonTyping
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex IsoDate();

    // The shape of well-known text: a geometry keyword, optional Z/M, then EMPTY or parenthesised numbers (and, in a
    // collection, nested geometries). DuckDB's cast checks the rest (e.g. a ring's closure) when the batch is staged.
    [GeneratedRegex(@"^\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)(\s*(Z|M|ZM))?\s*(EMPTY|\([\s\d.,()+\-eEA-Za-z]*\))\s*$",
        RegexOptions.IgnoreCase)]
    private static partial Regex Wkt();

    private static readonly LakeType Json = LakeType.Primitive("json");

    /// <summary>The type a value suggests, or null for JSON null.</summary>
    public static LakeType? Infer(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True or JsonValueKind.False => LakeType.Primitive("boolean"),
        JsonValueKind.Number => value.TryGetInt64(out _) ? LakeType.Primitive("int64") : LakeType.Primitive("float64"),
        JsonValueKind.String => IsoDateTimes.Of(value) != IsoDateTimes.Form.None ? LakeType.Primitive("timestamptz") : LakeType.Primitive("varchar"),
        JsonValueKind.Object => InferStruct(value),
        JsonValueKind.Array => InferList(value),
        _ => Json,
    };

    /// <summary>The type that holds values of both, or null when they conflict.</summary>
    public static LakeType? Widen(LakeType a, LakeType b)
    {
        if (a.Equals(b)) return a;
        if (IsNumber(a) && IsNumber(b)) return LakeType.Primitive("float64");
        if (a.Name is "timestamptz" or "varchar" && b.Name is "timestamptz" or "varchar") return LakeType.Primitive("varchar");
        if (a.IsNested || b.IsNested || a.Name == "json" || b.Name == "json") return Json;
        return null;
    }

    /// <summary>Null when the value fits the type; otherwise what it is instead, with the path inside nested values.</summary>
    public static string? Mismatch(JsonElement value, LakeType type, string path = "")
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        switch (type.Name)
        {
            case "json":
                return null;
            case "boolean":
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Describe(value, path);
            case "varchar":
                return value.ValueKind == JsonValueKind.String ? null : Describe(value, path);
            case "uuid":
                return value.ValueKind == JsonValueKind.String && Guid.TryParse(value.GetString(), out _) ? null : Describe(value, path, "not a UUID");
            case "timestamptz" or "timestamp" or "timestamp_s" or "timestamp_ms" or "timestamp_ns":
                return IsoDateTimes.Of(value) != IsoDateTimes.Form.None ? null : Describe(value, path, "not an ISO-8601 date-time");
            case "geometry":
                return value.ValueKind == JsonValueKind.String && Wkt().IsMatch(value.GetString()!) ? null : Describe(value, path, "not a WKT geometry");
            case "date":
                return value.ValueKind == JsonValueKind.String && IsoDate().IsMatch(value.GetString()!) ? null : Describe(value, path, "not an ISO-8601 date");
            case "float32" or "float64":
                return value.ValueKind != JsonValueKind.Number ? Describe(value, path)
                    : value.TryGetDouble(out var number) && double.IsFinite(number) && (type.Name == "float64" || float.IsFinite((float)number)) ? null
                    : Describe(value, path, $"a number outside the range of {type.Name}");
            case "struct":
                return StructMismatch(value, type, path);
            case "list":
                if (value.ValueKind != JsonValueKind.Array) return Describe(value, path);
                var index = 0;
                foreach (var item in value.EnumerateArray())
                    if (Mismatch(item, type.Children[0].Type, $"{path}[{index++}]") is { } inner) return inner;
                return null;
            case "map":
                if (value.ValueKind != JsonValueKind.Object) return Describe(value, path);
                foreach (var property in value.EnumerateObject())
                    if (Mismatch(property.Value, type.Children[1].Type, $"{path}.{property.Name}") is { } inner) return inner;
                return null;
        }
        if (type.Name.StartsWith("decimal", StringComparison.Ordinal))
            return value.ValueKind == JsonValueKind.Number ? null : Describe(value, path);
        if (IntegerRange(type.Name) is { } range)
            return value.ValueKind == JsonValueKind.Number && (value.TryGetInt64(out var whole)
                       ? whole >= range.Min && whole <= range.Max
                       : value.TryGetDecimal(out var number) && decimal.Truncate(number) == number && number >= range.Min && number <= range.Max)
                ? null
                : Describe(value, path, value.ValueKind == JsonValueKind.Number ? $"not an integer within {type.Name}" : null);
        return Describe(value, path, $"{type.Name} values cannot be ingested as JSON");
    }

    /// <summary>
    /// True when DuckDB's JSON reader would read the (fitting) value differently than the rules: a struct field in
    /// another case, a date-time in a form it does not parse, an offset on a column without one. Such records are
    /// rewritten with <see cref="Write"/> before staging.
    /// </summary>
    public static bool NeedsRewrite(JsonElement value, LakeType type)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return false;
        switch (type.Name)
        {
            case "timestamptz":
                return IsoDateTimes.Of(value) != IsoDateTimes.Form.DuckDbReadable;
            case "timestamp" or "timestamp_s" or "timestamp_ms" or "timestamp_ns":
                return true;
            case "struct":
                foreach (var property in value.EnumerateObject())
                {
                    var field = type.Children.FirstOrDefault(f => string.Equals(f.Name, property.Name, StringComparison.OrdinalIgnoreCase));
                    if (field is null || field.Name != property.Name || NeedsRewrite(property.Value, field.Type)) return true;
                }
                return false;
            case "list":
                foreach (var item in value.EnumerateArray())
                    if (NeedsRewrite(item, type.Children[0].Type)) return true;
                return false;
            case "map":
                foreach (var property in value.EnumerateObject())
                    if (NeedsRewrite(property.Value, type.Children[1].Type)) return true;
                return false;
            default:
                return false;
        }
    }

    /// <summary>Writes the value as DuckDB's JSON reader expects it for the type (timestamps normalised to UTC text).</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement value, LakeType type)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) { writer.WriteNullValue(); return; }
        switch (type.Name)
        {
            case "timestamptz" or "timestamp" or "timestamp_s" or "timestamp_ms" or "timestamp_ns":
                TryTimestamp(value.GetString()!, out var time);
                writer.WriteStringValue(time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + (type.Name == "timestamptz" ? "+00" : ""));
                return;
            case "struct":
                writer.WriteStartObject();
                foreach (var field in type.Children)
                {
                    writer.WritePropertyName(field.Name);
                    var found = value.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, field.Name, StringComparison.OrdinalIgnoreCase));
                    if (found.Value.ValueKind == JsonValueKind.Undefined) writer.WriteNullValue();
                    else Write(writer, found.Value, field.Type);
                }
                writer.WriteEndObject();
                return;
            case "list":
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) Write(writer, item, type.Children[0].Type);
                writer.WriteEndArray();
                return;
            default:
                value.WriteTo(writer);
                return;
        }
    }

    public static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetInt64(out _) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.String => "string",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        _ => "null",
    };

    public static bool TryTimestamp(string text, out DateTimeOffset time)
    {
        time = default;
        return IsoDateTimes.Of(System.Text.Encoding.UTF8.GetBytes(text)) != IsoDateTimes.Form.None && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    private static LakeType InferStruct(JsonElement value)
    {
        List<LakeField> fields = [];
        foreach (var property in value.EnumerateObject())
        {
            if (Infer(property.Value) is not { } type) continue;
            if (Schema.Identifiers.FieldProblem(property.Name) is not null || fields.Any(f => string.Equals(f.Name, property.Name, StringComparison.OrdinalIgnoreCase)))
                return Json;
            fields.Add(new LakeField(property.Name, type));
        }
        return fields.Count == 0 ? Json : LakeType.Struct([.. fields]);
    }

    private static LakeType InferList(JsonElement value)
    {
        LakeType? element = null;
        foreach (var item in value.EnumerateArray())
        {
            if (Infer(item) is not { } type) continue;
            element = element is null ? type : Widen(element, type);
            if (element is null || element.Name == "json") return Json;
        }
        return element is null ? Json : LakeType.List(element);
    }

    private static string? StructMismatch(JsonElement value, LakeType type, string path)
    {
        if (value.ValueKind != JsonValueKind.Object) return Describe(value, path);
        foreach (var property in value.EnumerateObject())
        {
            var field = type.Children.FirstOrDefault(f => string.Equals(f.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (field is null) return $"{path}.{property.Name} is not a field of {type}";
            if (Mismatch(property.Value, field.Type, $"{path}.{property.Name}") is { } inner) return inner;
        }
        return null;
    }

    private static bool IsNumber(LakeType type) => type.Name is "int64" or "float64";

    private static (decimal Min, decimal Max)? IntegerRange(string name) => name switch
    {
        "int8" => (sbyte.MinValue, sbyte.MaxValue),
        "int16" => (short.MinValue, short.MaxValue),
        "int32" => (int.MinValue, int.MaxValue),
        "int64" => (long.MinValue, long.MaxValue),
        "uint8" => (0, byte.MaxValue),
        "uint16" => (0, ushort.MaxValue),
        "uint32" => (0, uint.MaxValue),
        "uint64" => (0, ulong.MaxValue),
        _ => null,
    };

    private static string Describe(JsonElement value, string path, string? why = null) =>
        (why ?? $"a JSON {KindOf(value)}") + (path.Length > 0 ? $" at '{path.TrimStart('.')}'" : "");
}
