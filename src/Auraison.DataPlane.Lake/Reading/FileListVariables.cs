using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Lake.Reading;

/// <summary>
/// Long file lists of views kept as DuckDB variables. A view over <c>read_parquet([... 100,000 paths ...])</c> binds
/// every path literal again on each query that reads it (most of a query's planning in a table of many files); over
/// <c>read_parquet(getvariable('…'))</c> it binds one list value. Variables belong to a connection, so each connection
/// that reads the views sets them first (<see cref="SetAsync"/>), as one parameter per list. A connection may set a
/// list to fewer of its files (<see cref="SetListAsync"/>) for a query whose filter the others cannot match.
/// </summary>
public sealed class FileListVariables
{
    /// <summary>Lists shorter than this stay literals: binding them costs less than setting a variable.</summary>
    public const int VariableFrom = 64;

    private readonly List<FileList> _lists = [];
    private int _set;

    /// <summary>How many lists are kept as variables.</summary>
    public int Count => _lists.Count;

    /// <summary>The lists kept as variables: each one's data files and their local paths, in the same order.</summary>
    public IReadOnlyList<FileList> Lists => _lists;

    /// <summary>
    /// The read_parquet argument for the files at <paramref name="paths"/>: a list literal, or a variable the connection
    /// sets (the same one for the same paths, so views replaced over the same files need no new variable). Paths that
    /// begin with a variable's and add fewer than <see cref="VariableFrom"/> read it and the rest as literals, so that
    /// views replaced over files added since need no new variable either.
    /// </summary>
    public string Render(IReadOnlyList<DataFileInfo> files, IReadOnlyList<string> paths) => Render(files, paths, out _);

    /// <summary>The read_parquet argument, and in <paramref name="inVariable"/> how many paths (from the first) it reads through a variable.</summary>
    internal string Render(IReadOnlyList<DataFileInfo> files, IReadOnlyList<string> paths, out int inVariable)
    {
        inVariable = 0;
        if (paths.Count < VariableFrom) return TableScanSql.ListLiteral(paths);
        var list = _lists.FirstOrDefault(l => paths.Count - l.Paths.Count is >= 0 and < VariableFrom && l.Paths.SequenceEqual(paths.Take(l.Paths.Count),
            StringComparer.Ordinal));
        if (list is null)
        {
            if (_frozen)
            {
                Outgrown = true;
                return TableScanSql.ListLiteral(paths);
            }
            _lists.Add(list = new FileList($"lake_files_{_lists.Count}", files, paths));
        }
        inVariable = list.Paths.Count;
        var variable = $"getvariable({Literal(list.Name)})";
        return inVariable == paths.Count ? variable : $"list_concat({variable}, {TableScanSql.ListLiteral(paths.Skip(inVariable))})";
    }

    // Queries read the lists while views move forward, so a view that would need a new one must not add it.
    private bool _frozen;

    /// <summary>Whether a view rendered since <see cref="Freeze"/> needed a list no connection has set.</summary>
    internal bool Outgrown { get; private set; }

    /// <summary>From now until <see cref="Thaw"/>, rendering adds no list: a view that needs one sets <see cref="Outgrown"/>.</summary>
    internal void Freeze() => (_frozen, Outgrown) = (true, false);

    internal void Thaw() => _frozen = false;

    /// <summary>Sets every variable in a connection to the database whose views read them.</summary>
    public async Task SetAsync(DuckDBConnection connection, CancellationToken cancellationToken)
    {
        foreach (var list in _lists) await SetListAsync(connection, list.Name, list.Paths, cancellationToken);
    }

    /// <summary>
    /// Sets the variables rendered since the last call, in the connection creating the views; with
    /// <paramref name="firstFilesOnly"/> each to its first file, all that creating a view binds.
    /// </summary>
    internal async Task SetNewAsync(DuckDBConnection connection, bool firstFilesOnly, CancellationToken cancellationToken)
    {
        foreach (var list in _lists.Skip(_set)) await SetListAsync(connection, list.Name, firstFilesOnly ? [list.Paths[0]] : list.Paths, cancellationToken);
        _set = _lists.Count;
    }

    /// <summary>Sets one list variable in the connection (to all of its paths, or to some of them).</summary>
    public static async Task SetListAsync(DuckDBConnection connection, string name, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SET VARIABLE {name} = $1";
        command.Parameters.Add(new DuckDBParameter(paths));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>One file list variable: its name, its data files (all of one table) and their local paths.</summary>
public sealed record FileList(string Name, IReadOnlyList<DataFileInfo> Files, IReadOnlyList<string> Paths);
