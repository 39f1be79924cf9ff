using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using DuckDB.NET.Native;

namespace Auraison.DataPlane.Query;

/// <summary>
/// Result values as JSON, read from DuckDB's Arrow export of a result: exact where JSON can be (128-bit integers past
/// 64 bits, NaN and infinite values become strings; decimals keep every digit), nested values as JSON arrays and
/// objects (nulls inside them too), times as ISO 8601 text and intervals as DuckDB writes them.
/// </summary>
public static class ArrowValues
{
    public static object? Read(IArrowArray array, int index, ResultType type)
    {
        if (array is UnionArray union) return Member(union, index, type);
        if (array.IsNull(index)) return null;
        return type.Id switch
        {
            DuckDBType.Boolean => ((BooleanArray)array).GetValue(index),
            DuckDBType.TinyInt => ((Int8Array)array).GetValue(index),
            DuckDBType.SmallInt => ((Int16Array)array).GetValue(index),
            DuckDBType.Integer => ((Int32Array)array).GetValue(index),
            DuckDBType.BigInt => ((Int64Array)array).GetValue(index),
            DuckDBType.UnsignedTinyInt => ((UInt8Array)array).GetValue(index),
            DuckDBType.UnsignedSmallInt => ((UInt16Array)array).GetValue(index),
            DuckDBType.UnsignedInteger => ((UInt32Array)array).GetValue(index),
            DuckDBType.UnsignedBigInt => Whole((UInt128)((UInt64Array)array).GetValue(index)!.Value),
            // DuckDB exports both 128-bit integers as DECIMAL(38,0) holding their bits.
            DuckDBType.HugeInt => Whole(BinaryPrimitives.ReadInt128LittleEndian(((Decimal128Array)array).GetBytes(index))),
            DuckDBType.UnsignedHugeInt => Whole(BinaryPrimitives.ReadUInt128LittleEndian(((Decimal128Array)array).GetBytes(index))),
            DuckDBType.Decimal => Decimal((Decimal128Array)array, index, type),
            DuckDBType.Float => Finite(((FloatArray)array).GetValue(index)!.Value),
            DuckDBType.Double => Finite(((DoubleArray)array).GetValue(index)!.Value),
            DuckDBType.Varchar when type.IsJson => ParseOrText(Text(array, index)),
            DuckDBType.Varchar or DuckDBType.Uuid => Text(array, index),
            DuckDBType.Enum => Text(((DictionaryArray)array).Dictionary, DictionaryIndex((DictionaryArray)array, index)),
            DuckDBType.Blob => Convert.ToBase64String(((BinaryArray)array).GetBytes(index)),
            DuckDBType.Bit => Bits(((BinaryArray)array).GetBytes(index)),
            DuckDBType.Date => Temporal.Date(((Date32Array)array).GetValue(index)!.Value),
            DuckDBType.Time or ResultType.TimeNs => Time((Time64Array)array, index),
            DuckDBType.Timestamp or DuckDBType.TimestampS or DuckDBType.TimestampMs or DuckDBType.TimestampNs or DuckDBType.TimestampTz =>
                Timestamp((TimestampArray)array, index, type.Id == DuckDBType.TimestampTz),
            DuckDBType.Interval => Temporal.Interval(((MonthDayNanosecondIntervalArray)array).GetValue(index)!.Value),
            DuckDBType.List => Items((ListArray)array, index, type),
            DuckDBType.Array => FixedItems((FixedSizeListArray)array, index, type),
            DuckDBType.Struct => Fields((StructArray)array, index, type),
            DuckDBType.Map => Entries((MapArray)array, index, type),
            _ => throw new NotSupportedException($"Results of type {type.Name} are turned into text before they are read."),
        };
    }

    private static object Whole(Int128 value) => value >= long.MinValue && value <= long.MaxValue ? (long)value : value.ToString(CultureInfo.InvariantCulture);

    private static object Whole(UInt128 value) => value <= long.MaxValue ? (long)value : value.ToString(CultureInfo.InvariantCulture);

    // C#'s decimal holds 28 digits: wider values go out as the number DuckDB gave, digit for digit.
    private static object Decimal(Decimal128Array array, int index, ResultType type) =>
        type.Width <= 28 ? array.GetValue(index)!.Value : JsonDocument.Parse(array.GetString(index)!).RootElement.Clone();

    private static object Finite(double value) => double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);

    private static object Finite(float value) => float.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);

    private static string Text(IArrowArray array, int index) => array switch
    {
        StringArray text => text.GetString(index),
        StringViewArray view => view.GetString(index),
        _ => throw new NotSupportedException($"Text arrives as {array.Data.DataType.Name}."),
    };

    private static int DictionaryIndex(DictionaryArray array, int index) => array.Indices switch
    {
        UInt8Array small => small.GetValue(index)!.Value,
        UInt16Array medium => medium.GetValue(index)!.Value,
        UInt32Array large => (int)large.GetValue(index)!.Value,
        var other => throw new NotSupportedException($"Enum indices arrive as {other.Data.DataType.Name}."),
    };

    private static object ParseOrText(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return text;
        }
    }

    // DuckDB's BIT: a byte counting the padding bits, then the bits, the first byte's padding first.
    private static string Bits(ReadOnlySpan<byte> value)
    {
        var text = new StringBuilder((value.Length - 1) * 8);
        for (var bit = value[0]; bit < (value.Length - 1) * 8; bit++)
            text.Append((value[1 + bit / 8] & (0x80 >> (bit % 8))) == 0 ? '0' : '1');
        return text.ToString();
    }

    private static string Time(Time64Array array, int index)
    {
        var nanos = ((Time64Type)array.Data.DataType).Unit == TimeUnit.Nanosecond;
        return Temporal.TimeOfDay(array.GetValue(index)!.Value, nanos ? 9 : 6);
    }

    private static string Timestamp(TimestampArray array, int index, bool utc)
    {
        var unit = ((TimestampType)array.Data.DataType).Unit;
        var text = Temporal.Timestamp(array.GetValue(index)!.Value, unit switch
        {
            TimeUnit.Second => 0,
            TimeUnit.Millisecond => 3,
            TimeUnit.Microsecond => 6,
            _ => 9,
        });
        return utc && !text.EndsWith("infinity", StringComparison.Ordinal) ? text + "Z" : text;
    }

    private static List<object?> Items(ListArray array, int index, ResultType type)
    {
        var (start, end) = (array.ValueOffsets[index], array.ValueOffsets[index + 1]);
        return Range(array.Values, start, end - start, type.Children[0].Type);
    }

    private static List<object?> FixedItems(FixedSizeListArray array, int index, ResultType type)
    {
        var size = ((FixedSizeListType)array.Data.DataType).ListSize;
        return Range(array.Values, (array.Offset + index) * size, size, type.Children[0].Type);
    }

    private static List<object?> Range(IArrowArray values, int start, int count, ResultType type)
    {
        var items = new List<object?>(count);
        for (var i = start; i < start + count; i++) items.Add(Read(values, i, type));
        return items;
    }

    private static Dictionary<string, object?> Fields(StructArray array, int index, ResultType type)
    {
        var fields = new Dictionary<string, object?>(type.Children.Count, StringComparer.Ordinal);
        for (var i = 0; i < type.Children.Count; i++) fields[type.Children[i].Name] = Read(array.Fields[i], array.Offset + index, type.Children[i].Type);
        return fields;
    }

    // JSON objects key by text: map keys that are not text are written as their JSON.
    private static Dictionary<string, object?> Entries(MapArray array, int index, ResultType type)
    {
        var (keyType, valueType) = (type.Children[0].Type, type.Children[1].Type);
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = array.ValueOffsets[index]; i < array.ValueOffsets[index + 1]; i++)
        {
            var key = Read(array.Keys, i, keyType);
            entries[key as string ?? JsonSerializer.Serialize(key)] = Read(array.Values, i, valueType);
        }
        return entries;
    }

    // A union's value is its member's: DuckDB exports unions sparse (every member as long as the union).
    private static object? Member(UnionArray union, int index, ResultType type)
    {
        var code = union.TypeIds[index];
        var member = System.Array.IndexOf(((UnionType)union.Data.DataType).TypeIds, (int)code);
        var position = union is DenseUnionArray dense ? dense.ValueOffsets[index] : index;
        return Read(union.Fields[member], position, type.Children[member].Type);
    }
}
