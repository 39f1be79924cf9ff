using System.Text;

namespace Auraison.DataPlane.Lake.Model;

/// <summary>
/// A column type by its DuckLake name (<c>int64</c>, <c>varchar</c>, <c>struct</c>…) with named children for the
/// nested kinds: struct fields, the list's <c>element</c>, the map's <c>key</c> and <c>value</c>.
/// </summary>
public sealed record LakeType(string Name, IReadOnlyList<LakeField> Children)
{
    private static readonly Dictionary<string, string> LakeToDuckDb = new(StringComparer.Ordinal)
    {
        ["boolean"] = "BOOLEAN", ["int8"] = "TINYINT", ["int16"] = "SMALLINT", ["int32"] = "INTEGER", ["int64"] = "BIGINT",
        ["int128"] = "HUGEINT", ["uint8"] = "UTINYINT", ["uint16"] = "USMALLINT", ["uint32"] = "UINTEGER", ["uint64"] = "UBIGINT",
        ["uint128"] = "UHUGEINT", ["float32"] = "FLOAT", ["float64"] = "DOUBLE", ["time"] = "TIME", ["timetz"] = "TIME WITH TIME ZONE",
        ["date"] = "DATE", ["timestamp"] = "TIMESTAMP", ["timestamptz"] = "TIMESTAMP WITH TIME ZONE", ["timestamp_s"] = "TIMESTAMP_S",
        ["timestamp_ms"] = "TIMESTAMP_MS", ["timestamp_ns"] = "TIMESTAMP_NS", ["timestamp_us"] = "TIMESTAMP", ["time_ns"] = "TIME_NS",
        ["interval"] = "INTERVAL", ["varchar"] = "VARCHAR", ["blob"] = "BLOB", ["json"] = "JSON", ["uuid"] = "UUID",
        ["geometry"] = "GEOMETRY",
    };

    private static readonly Dictionary<string, string> DuckDbToLake = new(StringComparer.OrdinalIgnoreCase)
    {
        ["BOOLEAN"] = "boolean", ["BOOL"] = "boolean", ["TINYINT"] = "int8", ["INT1"] = "int8", ["SMALLINT"] = "int16", ["INT2"] = "int16",
        ["INTEGER"] = "int32", ["INT"] = "int32", ["INT4"] = "int32", ["BIGINT"] = "int64", ["INT8"] = "int64", ["LONG"] = "int64",
        ["HUGEINT"] = "int128", ["UTINYINT"] = "uint8", ["USMALLINT"] = "uint16", ["UINTEGER"] = "uint32", ["UBIGINT"] = "uint64",
        ["UHUGEINT"] = "uint128", ["FLOAT"] = "float32", ["REAL"] = "float32", ["FLOAT4"] = "float32", ["DOUBLE"] = "float64",
        ["FLOAT8"] = "float64", ["TIME"] = "time", ["TIMETZ"] = "timetz", ["DATE"] = "date", ["TIMESTAMP"] = "timestamp",
        ["DATETIME"] = "timestamp", ["TIMESTAMPTZ"] = "timestamptz", ["TIMESTAMP WITH TIME ZONE"] = "timestamptz",
        ["TIMESTAMP_S"] = "timestamp_s", ["TIMESTAMP_MS"] = "timestamp_ms", ["TIMESTAMP_NS"] = "timestamp_ns", ["INTERVAL"] = "interval",
        ["VARCHAR"] = "varchar", ["TEXT"] = "varchar", ["STRING"] = "varchar", ["BLOB"] = "blob", ["BYTEA"] = "blob", ["JSON"] = "json",
        ["UUID"] = "uuid", ["GEOMETRY"] = "geometry",
    };

    public static LakeType Primitive(string name) => new(name, []);

    public static LakeType List(LakeType element) => new("list", [new LakeField("element", element)]);

    public static LakeType Struct(params LakeField[] fields) => new("struct", fields);

    public bool IsNested => Name is "struct" or "list" or "map";

    public bool IsTemporal => Name is "date" or "timestamp" or "timestamptz" or "timestamp_s" or "timestamp_ms" or "timestamp_ns";

    /// <summary>The type as DuckDB SQL spells it.</summary>
    public string ToDuckDb() => Name switch
    {
        "struct" => "STRUCT(" + string.Join(", ", Children.Select(c => $"{Catalog.SqlText.Identifier(c.Name)} {c.Type.ToDuckDb()}")) + ")",
        "list" => Children[0].Type.ToDuckDb() + "[]",
        "map" => $"MAP({Children[0].Type.ToDuckDb()}, {Children[1].Type.ToDuckDb()})",
        _ when Name.StartsWith("decimal", StringComparison.Ordinal) => Name.ToUpperInvariant(),
        _ => LakeToDuckDb.TryGetValue(Name, out var duck) ? duck : throw new LakeSchemaException($"Unsupported DuckLake type '{Name}'."),
    };

    /// <summary>The type as DuckDB displays it: like <see cref="ToDuckDb"/>, with plain field names unquoted.</summary>
    public override string ToString() => Name switch
    {
        "struct" => "STRUCT(" + string.Join(", ", Children.Select(c => $"{Catalog.SqlText.DisplayIdentifier(c.Name)} {c.Type}")) + ")",
        "list" => Children[0].Type + "[]",
        "map" => $"MAP({Children[0].Type}, {Children[1].Type})",
        _ => ToDuckDb(),
    };

    public bool Equals(LakeType? other) =>
        other is not null && Name == other.Name && Children.SequenceEqual(other.Children);

    public override int GetHashCode() => HashCode.Combine(Name, Children.Count);

    /// <summary>Parses a DuckDB type such as <c>BIGINT</c>, <c>VARCHAR[]</c>, <c>STRUCT(x DOUBLE, y DOUBLE)</c>, <c>DECIMAL(10,2)</c>.</summary>
    public static LakeType ParseDuckDb(string text)
    {
        var parser = new TypeParser(text);
        var type = parser.ParseType();
        parser.ExpectEnd();
        return type;
    }

    private sealed class TypeParser(string text)
    {
        private int _position;

        public LakeType ParseType()
        {
            SkipSpaces();
            var name = ReadWord();
            LakeType type;
            if (name.Equals("STRUCT", StringComparison.OrdinalIgnoreCase) || name.Equals("ROW", StringComparison.OrdinalIgnoreCase))
            {
                Expect('(');
                List<LakeField> fields = [];
                do
                {
                    SkipSpaces();
                    var fieldName = ReadIdentifier();
                    fields.Add(new LakeField(fieldName, ParseType()));
                    SkipSpaces();
                } while (TryConsume(','));
                Expect(')');
                if (fields.Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != fields.Count)
                    throw new LakeSchemaException($"Type '{text}' repeats a struct field name.");
                type = new LakeType("struct", fields);
            }
            else if (name.Equals("MAP", StringComparison.OrdinalIgnoreCase))
            {
                Expect('(');
                var key = ParseType();
                Expect(',');
                var value = ParseType();
                Expect(')');
                type = new LakeType("map", [new LakeField("key", key), new LakeField("value", value)]);
            }
            else if (name.Equals("LIST", StringComparison.OrdinalIgnoreCase))
            {
                Expect('(');
                type = List(ParseType());
                Expect(')');
            }
            else if (name.Equals("DECIMAL", StringComparison.OrdinalIgnoreCase) || name.Equals("NUMERIC", StringComparison.OrdinalIgnoreCase))
            {
                var (precision, scale) = (18, 3);
                SkipSpaces();
                if (TryConsume('('))
                {
                    precision = ReadNumber();
                    scale = TryConsume(',') ? ReadNumber() : 0;
                    Expect(')');
                }
                if (precision is < 1 or > 38 || scale < 0 || scale > precision)
                    throw new LakeSchemaException($"DECIMAL({precision},{scale}) is out of range.");
                type = Primitive($"decimal({precision},{scale})");
            }
            else if (name.Equals("GEOMETRY", StringComparison.OrdinalIgnoreCase))
            {
                // A coordinate system, GEOMETRY('OGC:CRS84') as DuckDB reads GeoParquet, is not part of the DuckLake
                // type: the stock extension records such columns as plain geometry too.
                if (TryConsume('(')) SkipQuotedUntil(')');
                type = Primitive("geometry");
            }
            else
            {
                var full = name;
                // Multi-word names: TIMESTAMP WITH TIME ZONE.
                if (name.Equals("TIMESTAMP", StringComparison.OrdinalIgnoreCase) && text.AsSpan(_position).TrimStart()
                        .StartsWith("WITH TIME ZONE", StringComparison.OrdinalIgnoreCase))
                {
                    SkipSpaces();
                    _position += "WITH TIME ZONE".Length;
                    full = "TIMESTAMP WITH TIME ZONE";
                }
                type = DuckDbToLake.TryGetValue(full, out var lake)
                    ? Primitive(lake)
                    : throw new LakeSchemaException($"Unknown column type '{full}'.");
            }
            SkipSpaces();
            while (TryConsume('['))
            {
                Expect(']');
                type = List(type);
                SkipSpaces();
            }
            return type;
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_position != text.Length) throw new LakeSchemaException($"Unexpected '{text[_position..]}' in type '{text}'.");
        }

        private string ReadWord()
        {
            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] == '_')) _position++;
            if (start == _position) throw new LakeSchemaException($"Expected a type name at position {start} of '{text}'.");
            return text[start.._position];
        }

        private string ReadIdentifier()
        {
            if (!TryConsume('"')) return ReadWord();
            var name = new StringBuilder();
            while (_position < text.Length)
            {
                var c = text[_position++];
                if (c != '"') { name.Append(c); continue; }
                if (_position < text.Length && text[_position] == '"') { name.Append('"'); _position++; continue; }
                return name.ToString();
            }
            throw new LakeSchemaException($"Unterminated quoted name in type '{text}'.");
        }

        private void SkipQuotedUntil(char end)
        {
            var quoted = false;
            while (_position < text.Length && (quoted || text[_position] != end))
                if (text[_position++] == '\'') quoted = !quoted;
            Expect(end);
        }

        private int ReadNumber()
        {
            SkipSpaces();
            var start = _position;
            while (_position < text.Length && char.IsAsciiDigit(text[_position])) _position++;
            if (start == _position) throw new LakeSchemaException($"Expected a number in type '{text}'.");
            var number = int.Parse(text.AsSpan(start, _position - start), System.Globalization.CultureInfo.InvariantCulture);
            SkipSpaces();
            return number;
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position])) _position++;
        }

        private bool TryConsume(char c)
        {
            SkipSpaces();
            if (_position < text.Length && text[_position] == c) { _position++; return true; }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c)) throw new LakeSchemaException($"Expected '{c}' at position {_position} of type '{text}'.");
        }
    }
}

public sealed record LakeField(string Name, LakeType Type);

/// <summary>A request that does not fit the lake's schema rules (unknown type, duplicate column, bad name).</summary>
public sealed class LakeSchemaException(string message) : Exception(message);
