namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>Quoting for SQL text that cannot be a parameter (identifiers, DDL literals).</summary>
public static class SqlText
{
    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Qualified(string schema, string name) => Identifier(schema) + "." + Identifier(name);
}
