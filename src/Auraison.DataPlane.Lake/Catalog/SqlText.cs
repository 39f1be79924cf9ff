using System.Collections.Frozen;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>Quoting for SQL text that cannot be a parameter (identifiers, DDL literals).</summary>
public static class SqlText
{
    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// A name as DuckDB displays it in a type: bare when it is ASCII letters, digits and underscores not starting with a
    /// digit (upper case included) and none of DuckDB's keywords, of any category; quoted otherwise.
    /// </summary>
    public static string DisplayIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
                        && !Keywords.Value.Contains(name)
            ? name
            : Identifier(name);

    // The keywords of the DuckDB this process runs, asked of it once.
    private static readonly Lazy<FrozenSet<string>> Keywords = new(() =>
    {
        using var duckdb = new DuckDBConnection("Data Source=:memory:");
        duckdb.Open();
        using var command = duckdb.CreateCommand();
        command.CommandText = "SELECT keyword_name FROM duckdb_keywords()";
        using var reader = command.ExecuteReader();
        List<string> keywords = [];
        while (reader.Read()) keywords.Add(reader.GetString(0));
        return keywords.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    });

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Qualified(string schema, string name) => Identifier(schema) + "." + Identifier(name);
}
