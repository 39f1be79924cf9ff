using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// A table's rows inlined in the catalog kept in a table macro of the views' database, which its view reads. Rows
/// inlined later replace the macro (a few milliseconds) instead of the view: creating a view binds its whole file
/// list, a tenth of a second at 100,000 files. Macros are functions, not relations: catalog listings such as
/// <c>information_schema.tables</c> do not show them, and the query guard admits no call to them.
/// </summary>
public static class InlinedRowMacros
{
    /// <summary>
    /// Whether a table's inlined rows go in a macro: where its view reads a file list kept as a variable, so that
    /// re-creating the view costs more than the macro does (creating one takes about as long as a small view).
    /// </summary>
    public static bool PayOff(TableContent data) => data.Files.Count >= FileListVariables.VariableFrom;

    /// <summary>The statement that makes the macro return <paramref name="rows"/> with the table's columns.</summary>
    public static string ReplaceSql(LakeTable table, IReadOnlyList<InlinedRow> rows) =>
        $"CREATE OR REPLACE MACRO {Name(table)}() AS TABLE " + (rows.Count > 0
            ? TableScanSql.InlinedRowsSql(table, rows)
            : TableScanSql.NoRowsSql(table));

    /// <summary>The SELECT of the table's columns that reads its inlined rows from the macro.</summary>
    public static string SelectSql(LakeTable table) =>
        $"SELECT {string.Join(", ", table.Columns.Select(c => Identifier(c.Name)))} FROM {Name(table)}()";

    private static string Name(LakeTable table) => Identifier($"lake_inlined_rows_{table.Id.ToString(CultureInfo.InvariantCulture)}");
}
