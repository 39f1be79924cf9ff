namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>Quoting for SQL text that cannot be a parameter (identifiers, DDL literals).</summary>
public static class SqlText
{
    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A name as DuckDB displays it in a type: plain lower-case names bare, others quoted.</summary>
    public static string DisplayIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')
            ? name
            : Identifier(name);

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Qualified(string schema, string name) => Identifier(schema) + "." + Identifier(name);
}
