using System.Globalization;
using DuckDB.NET.Native;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Query;

/// <summary>
/// Result columns that DuckDB's Arrow export cannot carry as an agent reads them, turned into text in SQL: geometry
/// as WKT (<c>POINT (1 2)</c>; the query itself still works on geometry), <c>TIME WITH TIME ZONE</c> and
/// <c>BIGNUM</c> as DuckDB writes them, and a nested value holding one as DuckDB's text of the whole value.
/// </summary>
public static class ResultAsText
{
    public static bool Needed(IReadOnlyList<ResultColumn> columns) => columns.Any(c => c.Type.Holds(IsText));

    /// <summary>A SELECT over the query that turns each such column into text.</summary>
    public static string Wrap(string sql, IReadOnlyList<ResultColumn> columns)
    {
        var shown = columns.Select((column, i) =>
        {
            var position = "#" + (i + 1).ToString(CultureInfo.InvariantCulture);
            var value = !column.Type.Holds(IsText) ? position
                : column.Type.Id == ResultType.Geometry ? $"st_astext({position})"
                : $"CAST({position} AS VARCHAR)";
            return $"{value} AS {Identifier(column.Name)}";
        });
        return $"SELECT {string.Join(", ", shown)} FROM {SqlGuard.AsSubquery(sql)} AS result_as_text";
    }

    private static bool IsText(ResultType type) => type.Id is ResultType.Geometry or DuckDBType.TimeTz or DuckDBType.VarInt;
}
