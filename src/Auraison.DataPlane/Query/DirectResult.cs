using System.Runtime.InteropServices;
using Apache.Arrow.C;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace Auraison.DataPlane.Query;

/// <summary>A result column: its name and DuckDB type.</summary>
public sealed record ResultColumn(string Name, ResultType Type);

/// <summary>DuckDB's error for a statement run through <see cref="DirectResult"/>.</summary>
public sealed class DuckDbQueryException(string message) : Exception(message);

/// <summary>
/// One statement run with <c>duckdb_query</c>: DuckDB binds it once and holds the whole result in memory, so the
/// statement caps its own rows. DuckDB.NET's commands prepare a statement and then bind it again to run it (a view
/// reading a variable is rebound for each run), and binding a view over 100,000 files costs 0.15-0.2 s.
/// Rows are read through DuckDB's Arrow export of each result chunk.
/// </summary>
public sealed class DirectResult : IDisposable
{
    private DuckDBResult _result;

    public IReadOnlyList<ResultColumn> Columns { get; }

    private DirectResult(DuckDBResult result, IReadOnlyList<ResultColumn> columns) => (_result, Columns) = (result, columns);

    /// <summary>
    /// Runs <paramref name="sql"/>, with <paramref name="args"/> for its <c>$1</c>, <c>$2</c>… (then prepared first);
    /// cancelling interrupts it (DuckDB then fails it, the caller tells why).
    /// </summary>
    public static DirectResult Run(DuckDBConnection connection, string sql, CancellationToken cancellationToken, params object?[] args)
    {
        cancellationToken.ThrowIfCancellationRequested();
        DuckDBState state;
        DuckDBResult result;
        using (cancellationToken.Register(() => NativeMethods.Startup.DuckDBInterrupt(connection.NativeConnection)))
            state = args.Length == 0
                ? NativeMethods.Query.DuckDBQuery(connection.NativeConnection, sql, out result)
                : RunPrepared(connection, sql, args, out result);
        try
        {
            if (state != DuckDBState.Success) throw new DuckDbQueryException(NativeMethods.Query.DuckDBResultError(ref result));
            var columns = Enumerable.Range(0, (int)NativeMethods.Query.DuckDBColumnCount(ref result)).Select(i =>
            {
                using var type = NativeMethods.Query.DuckDBColumnLogicalType(ref result, i);
                return new ResultColumn(NativeMethods.Query.DuckDBColumnName(ref result, i), ResultType.Of(type));
            }).ToList();
            return new DirectResult(result, columns);
        }
        catch
        {
            NativeMethods.Query.DuckDBDestroyResult(ref result);
            throw;
        }
    }

    private static DuckDBState RunPrepared(DuckDBConnection connection, string sql, object?[] args, out DuckDBResult result)
    {
        using var statement = Prepare(connection, sql);
        for (var i = 0; i < args.Length; i++)
        {
            var position = i + 1;
            var bound = args[i] switch
            {
                null => NativeMethods.PreparedStatements.DuckDBBindNull(statement, position),
                string text => NativeMethods.PreparedStatements.DuckDBBindVarchar(statement, position, text),
                long number => NativeMethods.PreparedStatements.DuckDBBindInt64(statement, position, number),
                Guid id => NativeMethods.PreparedStatements.DuckDBBindVarchar(statement, position, id.ToString()),
                var other => throw new ArgumentException($"A ${position} of type {other.GetType().Name} cannot be bound.", nameof(args)),
            };
            if (bound != DuckDBState.Success) throw new DuckDbQueryException($"${position} cannot be bound: {NativeMethods.PreparedStatements.DuckDBPrepareError(statement)}");
        }
        return NativeMethods.PreparedStatements.DuckDBExecutePrepared(statement, out result);
    }

    private static DuckDBPreparedStatement Prepare(DuckDBConnection connection, string sql)
    {
        if (NativeMethods.PreparedStatements.DuckDBPrepare(connection.NativeConnection, sql, out var statement) == DuckDBState.Success) return statement;
        using (statement) throw new DuckDbQueryException(NativeMethods.PreparedStatements.DuckDBPrepareError(statement));
    }

    /// <summary>
    /// Runs <paramref name="sql"/> and reads its rows, with the columns <see cref="ResultAsText"/> names converted to
    /// text: at once when <paramref name="known"/> (its columns from an earlier run) has such a column, else by running
    /// it again once its result shows one.
    /// </summary>
    public static (IReadOnlyList<ResultColumn> Columns, List<object?[]> Rows) ReadShown(DuckDBConnection connection, string sql,
        IReadOnlyList<ResultColumn>? known, CancellationToken cancellationToken, params object?[] args)
    {
        if (known is not null && ResultAsText.Needed(known)) return (known, RowsOf(ResultAsText.Wrap(sql, known)));
        using var result = Run(connection, sql, cancellationToken, args);
        return (result.Columns, ResultAsText.Needed(result.Columns) ? RowsOf(ResultAsText.Wrap(sql, result.Columns)) : result.ReadRows());

        List<object?[]> RowsOf(string text)
        {
            using var converted = Run(connection, text, cancellationToken, args);
            return converted.ReadRows();
        }
    }

    /// <summary>Every row, each value as JSON (<see cref="ArrowValues"/>).</summary>
    public unsafe List<object?[]> ReadRows()
    {
        using var options = NativeMethods.Arrow.DuckDBResultGetArrowOptions(ref _result);
        var schema = ArrowSchema(options);
        List<object?[]> rows = [];
        while (true)
        {
            using var chunk = NativeMethods.Query.DuckDBFetchChunk(_result);
            if (chunk.IsInvalid) return rows;
            var exported = CArrowArray.Create();
            try
            {
                using (var error = NativeMethods.Arrow.DuckDBDataChunkToArrow(options, chunk, (IntPtr)exported))
                    if (error.HasError) throw new DuckDbQueryException(error.Message ?? "DuckDB could not export the result to Arrow.");
                using var batch = CArrowArrayImporter.ImportRecordBatch(exported, schema);
                for (var row = 0; row < batch.Length; row++)
                {
                    var values = new object?[Columns.Count];
                    for (var column = 0; column < values.Length; column++) values[column] = ArrowValues.Read(batch.Column(column), row, Columns[column].Type);
                    rows.Add(values);
                }
            }
            finally
            {
                CArrowArray.Free(exported);
            }
        }
    }

    private unsafe Apache.Arrow.Schema ArrowSchema(DuckDBArrowOptions options)
    {
        var types = Enumerable.Range(0, Columns.Count).Select(i => NativeMethods.Query.DuckDBColumnLogicalType(ref _result, i)).ToList();
        var names = Columns.Select(c => Marshal.StringToCoTaskMemUTF8(c.Name)).ToArray();
        var exported = CArrowSchema.Create();
        try
        {
            var handles = types.Select(t => t.DangerousGetHandle()).ToArray();
            fixed (IntPtr* typesAt = handles)
            fixed (IntPtr* namesAt = names)
            using (var error = NativeMethods.Arrow.DuckDBToArrowSchema(options, (IntPtr)typesAt, (IntPtr)namesAt, (ulong)names.Length, (IntPtr)exported))
                if (error.HasError) throw new DuckDbQueryException(error.Message ?? "DuckDB could not export the result to Arrow.");
            return CArrowSchemaImporter.ImportSchema(exported);
        }
        finally
        {
            CArrowSchema.Free(exported);
            foreach (var name in names) Marshal.FreeCoTaskMem(name);
            foreach (var type in types) type.Dispose();
        }
    }

    public void Dispose() => NativeMethods.Query.DuckDBDestroyResult(ref _result);
}
