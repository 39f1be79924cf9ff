using System.Text.Json;
using System.Text.RegularExpressions;
using Auraison.DataPlane.Schema;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Query;

/// <summary>Why a query was refused: 403 for what is never allowed, 400 for what is malformed.</summary>
public sealed record GuardRefusal(int Status, string Reason);

/// <summary>
/// A query as DuckDB's parser sees it: its one statement's syntax tree and CTE names, or why it has none; and the
/// lake tables it names (null: all of them may matter).
/// </summary>
public sealed record ParsedQuery(string Sql, JsonElement? Tree, IReadOnlySet<string> CteNames, GuardRefusal? Refusal,
    IReadOnlySet<TableName>? TablesNamed)
{
    public static ParsedQuery Refused(string sql, GuardRefusal refusal) => new(sql, null, new HashSet<string>(), refusal, null);
}

/// <summary>
/// Admits one read-only statement: DuckDB's own parser (<c>json_serialize_sql</c>) must see a single SELECT (WITH,
/// VALUES, DESCRIBE, SHOW and SUMMARIZE parse as such; EXPLAIN is checked on what it explains), every table it names
/// must be one of the caller's views or a CTE, and it may call no table function that reaches files, other
/// databases or settings. The session's locked configuration is the second wall behind this one.
/// </summary>
public static partial class SqlGuard
{
    private static readonly HashSet<string> TableFunctions = new(StringComparer.OrdinalIgnoreCase) { "range", "generate_series", "unnest" };

    private static readonly HashSet<string> BlockedFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "current_setting", "getenv", "getvariable", "current_database", "current_catalog", "pg_get_viewdef", "duckdb_secrets",
    };

    private static readonly HashSet<string> CatalogViews = new(StringComparer.OrdinalIgnoreCase) { "tables", "columns", "schemata" };

    [GeneratedRegex(@"^\s*EXPLAIN(\s+ANALYZE)?\s+", RegexOptions.IgnoreCase)]
    private static partial Regex ExplainPrefix();

    public static bool IsExplain(string sql) => ExplainPrefix().IsMatch(sql);

    /// <summary>The query as a subquery; its own lines, so that a comment ending it ends before the parenthesis.</summary>
    public static string AsSubquery(string sql) => $"(\n{sql.Trim().TrimEnd(';')}\n)";

    /// <summary>Parses the query once, with DuckDB's own parser (no data needed): what the guard and the session builder look at.</summary>
    public static async Task<ParsedQuery> ParseAsync(DuckDBConnection parser, string sql, CancellationToken cancellationToken)
    {
        var statement = ExplainPrefix().Replace(sql.Trim().TrimEnd(';').Trim(), "", 1);
        if (statement.Length == 0) return ParsedQuery.Refused(sql, new GuardRefusal(400, "The query is empty."));
        await using var command = parser.CreateCommand();
        command.CommandText = $"SELECT json_serialize_sql({Literal(statement)})";
        using var document = JsonDocument.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!);
        var root = document.RootElement;
        if (root.GetProperty("error").GetBoolean())
        {
            var message = root.GetProperty("error_message").GetString() ?? "";
            return ParsedQuery.Refused(sql, message.Contains("Only SELECT statements", StringComparison.Ordinal)
                ? new GuardRefusal(403, "Only read-only queries run here (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN).")
                : new GuardRefusal(400, message));
        }
        if (root.GetProperty("statements").GetArrayLength() != 1) return ParsedQuery.Refused(sql, new GuardRefusal(403, "Send exactly one statement."));
        var ctes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        CollectCteNames(root, ctes);
        return new ParsedQuery(sql, root.Clone(), ctes, null, TablesNamed(root, ctes));
    }

    /// <summary>Null when the query may run in a session holding <paramref name="tables"/>; otherwise why not.</summary>
    public static GuardRefusal? Check(ParsedQuery query, IReadOnlySet<TableName> tables, IReadOnlySet<TableName> forbidden) =>
        query.Refusal ?? Walk(query.Tree!.Value, tables, forbidden, query.CteNames);

    // The lake tables the query names, so that a session needs views for those alone; null when that cannot be told
    // (it names no table, reads information_schema, or names a table some other way, as DESCRIBE and SHOW do):
    // such a query gets every table.
    private static HashSet<TableName>? TablesNamed(JsonElement root, HashSet<string> ctes)
    {
        HashSet<TableName> named = [];
        var narrowable = true;
        void Collect(JsonElement node)
        {
            if (node.ValueKind == JsonValueKind.Array)
                foreach (var item in node.EnumerateArray()) Collect(item);
            if (node.ValueKind != JsonValueKind.Object) return;
            var type = node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "SHOW_REF") narrowable = false;
            if (type == "BASE_TABLE")
            {
                var (schema, name) = (node.GetProperty("schema_name").GetString() ?? "", node.GetProperty("table_name").GetString() ?? "");
                if (schema.Equals("information_schema", StringComparison.OrdinalIgnoreCase)) narrowable = false;
                else if (schema.Length > 0 || !ctes.Contains(name)) named.Add(NameOf(schema, name));
            }
            foreach (var property in node.EnumerateObject()) Collect(property.Value);
        }
        Collect(root);
        return narrowable && named.Count > 0 ? named : null;
    }

    private static TableName NameOf(string schema, string name) =>
        new(schema.Length == 0 ? Identifiers.DefaultSchema : schema.ToLowerInvariant(), name.ToLowerInvariant());

    private static GuardRefusal? Walk(JsonElement node, IReadOnlySet<TableName> tables, IReadOnlySet<TableName> forbidden, IReadOnlySet<string> ctes)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray())
                if (Walk(item, tables, forbidden, ctes) is { } refusal) return refusal;
            return null;
        }
        if (node.ValueKind != JsonValueKind.Object) return null;
        var type = node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var kind = node.TryGetProperty("class", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        if (type == "BASE_TABLE" && CheckTable(node, tables, forbidden, ctes) is { } tableRefusal) return tableRefusal;
        if (type == "TABLE_FUNCTION")
        {
            var name = node.GetProperty("function").GetProperty("function_name").GetString() ?? "";
            if (!TableFunctions.Contains(name)) return new GuardRefusal(403, $"Table function {name}() is not available; query the lake's tables.");
        }
        if (kind == "FUNCTION" && node.TryGetProperty("function_name", out var function) && BlockedFunctions.Contains(function.GetString() ?? ""))
            return new GuardRefusal(403, $"Function {function.GetString()}() is not available.");
        foreach (var property in node.EnumerateObject())
            if (Walk(property.Value, tables, forbidden, ctes) is { } refusal) return refusal;
        return null;
    }

    private static GuardRefusal? CheckTable(JsonElement node, IReadOnlySet<TableName> tables, IReadOnlySet<TableName> forbidden, IReadOnlySet<string> ctes)
    {
        var catalog = node.GetProperty("catalog_name").GetString() ?? "";
        var schema = node.GetProperty("schema_name").GetString() ?? "";
        var name = node.GetProperty("table_name").GetString() ?? "";
        if (catalog.Length > 0) return new GuardRefusal(403, $"Database-qualified names such as {catalog}.{schema}.{name} are not available.");
        if (schema.Length == 0 && ctes.Contains(name)) return null;
        if (schema.Equals("information_schema", StringComparison.OrdinalIgnoreCase))
            return CatalogViews.Contains(name) ? null : new GuardRefusal(403, $"information_schema.{name} is not available.");
        var table = NameOf(schema, name);
        if (tables.Contains(table)) return null;
        if (forbidden.Contains(table)) return new GuardRefusal(403, $"Table {table} is not allowed by this tenant's policy.");
        return name.Contains('/', StringComparison.Ordinal) || name.Contains('.', StringComparison.Ordinal)
            ? new GuardRefusal(403, "That table name looks like a file path; only the lake's tables can be queried.")
            : new GuardRefusal(400, $"Table {table} does not exist. GET /data/tables lists the tables you can query.");
    }

    private static void CollectCteNames(JsonElement node, HashSet<string> names)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray()) CollectCteNames(item, names);
            return;
        }
        if (node.ValueKind != JsonValueKind.Object) return;
        if (node.TryGetProperty("cte_map", out var map) && map.TryGetProperty("map", out var entries))
            foreach (var entry in entries.EnumerateArray())
                if (entry.TryGetProperty("key", out var key)) names.Add(key.GetString() ?? "");
        foreach (var property in node.EnumerateObject()) CollectCteNames(property.Value, names);
    }
}
