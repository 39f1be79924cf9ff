using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Query;

/// <summary>
/// Geometry results as WKT text: the .NET driver cannot read DuckDB's GEOMETRY values, and text is what an agent
/// reads anyway (<c>POINT (1 2)</c>). The query itself still works on geometry; only its result columns are converted.
/// </summary>
public static class GeometryAsText
{
    /// <summary>The query, or a SELECT over it that turns each geometry column (also nested in a struct or list) into text.</summary>
    public static string Wrap(string sql, IReadOnlyList<QueryColumn> columns)
    {
        if (!columns.Any(c => HoldsGeometry(c.Type))) return sql;
        var shown = columns.Select((column, i) =>
        {
            var position = "#" + (i + 1).ToString(CultureInfo.InvariantCulture);
            var value = !HoldsGeometry(column.Type) ? position
                : IsGeometry(column.Type) ? $"st_astext({position})"
                : $"CAST({position} AS VARCHAR)";
            return $"{value} AS {Identifier(column.Name)}";
        });
        return $"SELECT {string.Join(", ", shown)} FROM ({sql.Trim().TrimEnd(';')}) AS geometry_as_text";
    }

    private static bool IsGeometry(string type) => type.Equals("GEOMETRY", StringComparison.OrdinalIgnoreCase)
                                                   || type.StartsWith("GEOMETRY(", StringComparison.OrdinalIgnoreCase);

    private static bool HoldsGeometry(string type)
    {
        // Cheap test first; the parse tells a geometry type from a struct field that is merely named so.
        if (!type.Contains("GEOMETRY", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            return Contains(LakeType.ParseDuckDb(type));
        }
        catch (LakeSchemaException)
        {
            return false;
        }

        static bool Contains(LakeType lake) => lake.Name == "geometry" || lake.Children.Any(c => Contains(c.Type));
    }
}
