using System.Data.Common;

namespace Auraison.DataPlane.Lake.Catalog;

/// <summary>Small helpers so catalog SQL reads as SQL: positional <c>$1..$n</c> parameters on both backends.</summary>
public static class DbConnectionExtensions
{
    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql, params object?[] args)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddPositional(command.CreateParameter, args);
        return command;
    }

    /// <summary>Binds <paramref name="args"/> as <c>$1..$n</c> (null as SQL NULL), for commands and batch commands alike.</summary>
    public static void AddPositional(this DbParameterCollection parameters, Func<DbParameter> create, object?[] args)
    {
        foreach (var arg in args)
        {
            var parameter = create();
            parameter.Value = arg ?? DBNull.Value;
            parameters.Add(parameter);
        }
    }

    public static async Task<int> ExecuteAsync(this DbConnection connection, DbTransaction? transaction, string sql,
        CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = connection.Command(transaction, sql, args);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<T?> ScalarAsync<T>(this DbConnection connection, DbTransaction? transaction, string sql,
        CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = connection.Command(transaction, sql, args);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<List<T>> QueryAsync<T>(this DbConnection connection, DbTransaction? transaction, string sql,
        Func<DbDataReader, T> map, CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = connection.Command(transaction, sql, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
        return rows;
    }

    public static long? NullableInt64(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public static string? NullableString(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Convert.ToString(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public static bool? NullableBoolean(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Convert.ToBoolean(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);
}
