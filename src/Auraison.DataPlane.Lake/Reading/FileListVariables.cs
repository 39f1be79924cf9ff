using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// Long file lists of views kept as DuckDB variables. A view over <c>read_parquet([... 100,000 paths ...])</c> binds
/// every path literal again on each query that reads it (most of a query's planning in a table of many files); over
/// <c>read_parquet(getvariable('…'))</c> it binds one list value. Variables belong to a connection, so each connection
/// that reads the views sets them first (<see cref="SetAsync"/>), as one parameter per list.
/// </summary>
public sealed class FileListVariables
{
    /// <summary>Lists shorter than this stay literals: binding them costs less than setting a variable.</summary>
    public const int VariableFrom = 64;

    private readonly List<(string Name, IReadOnlyList<string> Paths)> _lists = [];
    private int _set;

    /// <summary>How many lists are kept as variables.</summary>
    public int Count => _lists.Count;

    /// <summary>The read_parquet argument for <paramref name="paths"/>: a list literal, or a variable the connection sets.</summary>
    public string Render(IReadOnlyList<string> paths)
    {
        if (paths.Count < VariableFrom) return TableScanSql.ListLiteral(paths);
        var name = $"lake_files_{_lists.Count}";
        _lists.Add((name, paths));
        return $"getvariable({Literal(name)})";
    }

    /// <summary>Sets every variable in a connection to the database whose views read them.</summary>
    public Task SetAsync(DuckDBConnection connection, CancellationToken cancellationToken) => SetEachAsync(connection, _lists, cancellationToken);

    /// <summary>Sets the variables rendered since the last call, in the connection creating the views.</summary>
    internal async Task SetNewAsync(DuckDBConnection connection, CancellationToken cancellationToken)
    {
        await SetEachAsync(connection, _lists.Skip(_set), cancellationToken);
        _set = _lists.Count;
    }

    private static async Task SetEachAsync(DuckDBConnection connection, IEnumerable<(string Name, IReadOnlyList<string> Paths)> lists,
        CancellationToken cancellationToken)
    {
        foreach (var (name, paths) in lists)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SET VARIABLE {name} = $1";
            command.Parameters.Add(new DuckDBParameter(paths));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
