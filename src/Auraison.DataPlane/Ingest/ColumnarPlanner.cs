using System.Globalization;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// The JSON rules for columnar bodies, per column instead of per record: a column of the body fits a table column of
/// the same type, or of a type that holds its values (an integer column a DOUBLE one, a struct one whose fields it
/// has); values a narrower column cannot hold are found by DuckDB and named by row. Columns the table lacks become
/// columns of their own type, unless the table refuses unknown fields.
/// </summary>
public static class ColumnarPlanner
{
    public static async Task<RecordPlan> PlanAsync(DuckDBConnection work, ParquetSpool body, IReadOnlyList<ColumnDefinition> columns, bool acceptNewFields,
        CancellationToken cancellationToken)
    {
        var known = columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        List<RecordError> errors = [];
        List<ColumnDefinition> added = [];
        List<(string Field, LakeType Target)> narrowing = [];
        foreach (var column in body.Columns)
        {
            if (Identifiers.FieldProblem(column.Name) is { } rule)
                errors.Add(new RecordError(0, column.Name, "a valid field name", column.Name, $"column '{column.Name}': {rule}"));
            else if (known.TryGetValue(column.Name, out var target))
            {
                switch (Fit(column.Type, target.Type))
                {
                    case Fits.No:
                        errors.Add(new RecordError(0, column.Name, target.Type.ToString(), column.Type.ToString(),
                            $"column '{column.Name}' of the body is {column.Type}; the table's column is {target.Type}"));
                        break;
                    case Fits.IfInRange:
                        narrowing.Add((column.Name, target.Type));
                        break;
                }
            }
            else if (!acceptNewFields)
                errors.Add(new RecordError(0, column.Name, "a declared column", column.Type.ToString(),
                    $"column '{column.Name}' is not a column of this table, which rejects unknown fields"));
            else
                added.Add(column);
        }
        if (errors.Count == 0) errors.AddRange(await OutOfRangeAsync(work, body, narrowing, cancellationToken));
        return new RecordPlan(errors.Count == 0 ? Enumerable.Range(0, body.Count).ToList() : [], errors, added, new HashSet<int>());
    }

    private enum Fits { Yes, IfInRange, No }

    private static Fits Fit(LakeType source, LakeType target)
    {
        if (source.Equals(target) || target.Name == "json") return Fits.Yes;
        if (IsInteger(target.Name) || target.Name.StartsWith("decimal", StringComparison.Ordinal) || target.Name == "float32")
            return IsInteger(source.Name) || source.Name.StartsWith("decimal", StringComparison.Ordinal) || source.Name is "float32" && target.Name == "float32"
                ? Fits.IfInRange
                : Fits.No;
        if (target.Name == "float64") return IsInteger(source.Name) || source.Name is "float32" || source.Name.StartsWith("decimal", StringComparison.Ordinal) ? Fits.Yes : Fits.No;
        if (target.Name is "timestamptz" or "timestamp") return source.IsTemporal && source.Name != "date" ? Fits.Yes : Fits.No;
        if (target.Name == "uuid") return source.Name == "varchar" ? Fits.IfInRange : Fits.No;
        if (target.Name == "struct" && source.Name == "struct")
            return Worst(source.Children.Select(field => target.Children.FirstOrDefault(t => string.Equals(t.Name, field.Name, StringComparison.OrdinalIgnoreCase))
                is { } match ? Fit(field.Type, match.Type) : Fits.No));
        if (target.Name is "list" or "map" && source.Name == target.Name)
            return Worst(source.Children.Zip(target.Children, (s, t) => Fit(s.Type, t.Type)));
        return Fits.No;
    }

    private static Fits Worst(IEnumerable<Fits> fits) => fits.DefaultIfEmpty(Fits.Yes).Max();

    private static bool IsInteger(string name) => name.StartsWith("int", StringComparison.Ordinal) || name.StartsWith("uint", StringComparison.Ordinal);

    /// <summary>For each narrowing column, the first row whose value the table's type cannot hold.</summary>
    private static async Task<List<RecordError>> OutOfRangeAsync(DuckDBConnection work, ParquetSpool body, IReadOnlyList<(string Field, LakeType Target)> narrowing,
        CancellationToken cancellationToken)
    {
        if (narrowing.Count == 0) return [];
        var checks = string.Join(" UNION ALL ", narrowing.Select((n, i) =>
            $"SELECT {i.ToString(CultureInfo.InvariantCulture)} AS k, min(file_row_number) AS row FROM ({body.Source}) AS src " +
            $"WHERE {Identifier(n.Field)} IS NOT NULL AND TRY_CAST({Identifier(n.Field)} AS {n.Target.ToDuckDb()}) IS NULL HAVING count(*) > 0"));
        await using var command = work.CreateCommand();
        command.CommandText = checks;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<RecordError> errors = [];
        while (await reader.ReadAsync(cancellationToken))
        {
            var (field, target) = narrowing[reader.GetInt32(0)];
            var row = (int)reader.GetInt64(1);
            errors.Add(new RecordError(row, field, target.ToString(), "a value outside its range",
                $"record {row} field '{field}': expected {target}, got a value outside its range"));
        }
        return errors.OrderBy(e => e.RecordIndex).ToList();
    }
}
