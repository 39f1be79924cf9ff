using System.Globalization;
using System.Runtime.InteropServices;
using DuckDB.NET.Native;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Query;

/// <summary>A field of a nested result type: a struct's field, a union's member, a list's element, a map's key or value.</summary>
public sealed record ResultField(string Name, ResultType Type);

/// <summary>
/// A result column's DuckDB type, read from the result itself (no DESCRIBE): its name as DuckDB displays it
/// (<c>DECIMAL(18,3)</c>, <c>STRUCT(x INTEGER, "y z" VARCHAR)</c>, <c>JSON</c>) and the nested types within.
/// </summary>
public sealed record ResultType(DuckDBType Id, string Name, IReadOnlyList<ResultField> Children, int Width = 0)
{
    // Ids of DuckDB 1.5 that DuckDB.NET's enum does not name yet.
    public const DuckDBType TimeNs = (DuckDBType)39;
    public const DuckDBType Geometry = (DuckDBType)40;

    public bool IsJson => Name == "JSON";

    /// <summary>Whether this type or one nested in it matches.</summary>
    public bool Holds(Func<ResultType, bool> match) => match(this) || Children.Any(c => c.Type.Holds(match));

    public static ResultType Of(DuckDBLogicalType type)
    {
        var id = NativeMethods.LogicalType.DuckDBGetTypeId(type);
        if (DuckDbTypes.Alias(type) is { } alias) return new ResultType(id, alias.ToUpperInvariant(), []);
        switch (id)
        {
            case DuckDBType.Decimal:
                var (width, scale) = (NativeMethods.LogicalType.DuckDBDecimalWidth(type), NativeMethods.LogicalType.DuckDBDecimalScale(type));
                return new ResultType(id, $"DECIMAL({width},{scale})", [], width);
            case DuckDBType.List:
                var element = Child(NativeMethods.LogicalType.DuckDBListTypeChildType(type));
                return new ResultType(id, element.Name + "[]", [new ResultField("element", element)]);
            case DuckDBType.Array:
                var item = Child(NativeMethods.LogicalType.DuckDBArrayTypeChildType(type));
                var size = NativeMethods.LogicalType.DuckDBArrayVectorGetSize(type);
                return new ResultType(id, $"{item.Name}[{size.ToString(CultureInfo.InvariantCulture)}]", [new ResultField("element", item)]);
            case DuckDBType.Map:
                var (key, value) = (Child(NativeMethods.LogicalType.DuckDBMapTypeKeyType(type)), Child(NativeMethods.LogicalType.DuckDBMapTypeValueType(type)));
                return new ResultType(id, $"MAP({key.Name}, {value.Name})", [new ResultField("key", key), new ResultField("value", value)]);
            case DuckDBType.Struct:
                return Composite(id, "STRUCT", Enumerable.Range(0, (int)NativeMethods.LogicalType.DuckDBStructTypeChildCount(type)).Select(i =>
                    new ResultField(NativeMethods.LogicalType.DuckDBStructTypeChildName(type, i), Child(NativeMethods.LogicalType.DuckDBStructTypeChildType(type, i)))));
            case DuckDBType.Union:
                return Composite(id, "UNION", Enumerable.Range(0, (int)DuckDbTypes.UnionMemberCount(type)).Select(i =>
                    new ResultField(DuckDbTypes.UnionMemberName(type, i), Child(DuckDbTypes.UnionMemberType(type, i)))));
            case DuckDBType.Enum:
                var labels = Enumerable.Range(0, (int)NativeMethods.LogicalType.DuckDBEnumDictionarySize(type))
                    .Select(i => Literal(NativeMethods.LogicalType.DuckDBEnumDictionaryValue(type, i)));
                return new ResultType(id, $"ENUM({string.Join(", ", labels)})", []);
            default:
                return new ResultType(id, PlainNames.GetValueOrDefault(id, id.ToString().ToUpperInvariant()), []);
        }
    }

    private static ResultType Child(DuckDBLogicalType type)
    {
        using (type) return Of(type);
    }

    private static ResultType Composite(DuckDBType id, string kind, IEnumerable<ResultField> fields)
    {
        var children = fields.ToList();
        return new ResultType(id, $"{kind}({string.Join(", ", children.Select(f => $"{DisplayIdentifier(f.Name)} {f.Type.Name}"))})", children);
    }

    private static readonly Dictionary<DuckDBType, string> PlainNames = new()
    {
        [DuckDBType.Boolean] = "BOOLEAN", [DuckDBType.TinyInt] = "TINYINT", [DuckDBType.SmallInt] = "SMALLINT", [DuckDBType.Integer] = "INTEGER",
        [DuckDBType.BigInt] = "BIGINT", [DuckDBType.HugeInt] = "HUGEINT", [DuckDBType.UnsignedTinyInt] = "UTINYINT",
        [DuckDBType.UnsignedSmallInt] = "USMALLINT", [DuckDBType.UnsignedInteger] = "UINTEGER", [DuckDBType.UnsignedBigInt] = "UBIGINT",
        [DuckDBType.UnsignedHugeInt] = "UHUGEINT", [DuckDBType.Float] = "FLOAT", [DuckDBType.Double] = "DOUBLE", [DuckDBType.Varchar] = "VARCHAR",
        [DuckDBType.Blob] = "BLOB", [DuckDBType.Date] = "DATE", [DuckDBType.Time] = "TIME", [TimeNs] = "TIME_NS",
        [DuckDBType.TimeTz] = "TIME WITH TIME ZONE", [DuckDBType.Timestamp] = "TIMESTAMP", [DuckDBType.TimestampS] = "TIMESTAMP_S",
        [DuckDBType.TimestampMs] = "TIMESTAMP_MS", [DuckDBType.TimestampNs] = "TIMESTAMP_NS", [DuckDBType.TimestampTz] = "TIMESTAMP WITH TIME ZONE",
        [DuckDBType.Interval] = "INTERVAL", [DuckDBType.Uuid] = "UUID", [DuckDBType.Bit] = "BIT", [DuckDBType.VarInt] = "BIGNUM",
        [DuckDBType.SqlNull] = "\"NULL\"", [Geometry] = "GEOMETRY",
    };
}

/// <summary>DuckDB's C API functions on logical types that DuckDB.NET's bindings lack (the library is the one they load).</summary>
internal static partial class DuckDbTypes
{
    public static string? Alias(DuckDBLogicalType type) => TakeString(duckdb_logical_type_get_alias(type));

    public static ulong UnionMemberCount(DuckDBLogicalType type) => duckdb_union_type_member_count(type);

    public static string UnionMemberName(DuckDBLogicalType type, int index) => TakeString(duckdb_union_type_member_name(type, (ulong)index)) ?? "";

    public static DuckDBLogicalType UnionMemberType(DuckDBLogicalType type, int index) => duckdb_union_type_member_type(type, (ulong)index);

    // The C API hands out strings the caller frees with duckdb_free.
    private static string? TakeString(IntPtr text)
    {
        if (text == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(text);
        }
        finally
        {
            NativeMethods.Helpers.DuckDBFree(text);
        }
    }

    [LibraryImport("duckdb")]
    private static partial IntPtr duckdb_logical_type_get_alias(DuckDBLogicalType type);

    [LibraryImport("duckdb")]
    private static partial ulong duckdb_union_type_member_count(DuckDBLogicalType type);

    [LibraryImport("duckdb")]
    private static partial IntPtr duckdb_union_type_member_name(DuckDBLogicalType type, ulong index);

    [LibraryImport("duckdb")]
    private static partial DuckDBLogicalType duckdb_union_type_member_type(DuckDBLogicalType type, ulong index);
}
