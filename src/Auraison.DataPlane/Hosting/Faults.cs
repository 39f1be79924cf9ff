using System.Net.Sockets;
using Amazon.Runtime;
using DuckDB.NET.Data;
using Npgsql;

namespace Auraison.DataPlane.Hosting;

/// <summary>What a failure means: a store that does not answer (retry later), a duplicate key, a value refused.</summary>
public static class Faults
{
    /// <summary>
    /// The catalog database or the object store could not be reached, or dropped the connection: nothing about
    /// the request is wrong, and the same request may succeed once the store is back.
    /// </summary>
    public static bool IsOutage(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                                      || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
                                      || postgres.SqlState == PostgresErrorCodes.TooManyConnections,
        NpgsqlException => true,
        SocketException or HttpRequestException or TimeoutException => true,
        AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError } => true,
        AmazonServiceException => false,
        AmazonClientException => true,
        _ => exception.InnerException is { } inner && IsOutage(inner),
    };

    /// <summary>A unique violation on the service's idempotency table: another request with the key committed first.</summary>
    public static bool IsDuplicateIdempotencyKey(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, TableName: "dataplane_idempotency" } => true,
        DuckDBException duck => duck.Message.Contains("Duplicate key", StringComparison.Ordinal) && duck.Message.Contains("idempotency_key:", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>DuckDB refused a value of the rows it read (a conversion or range error), as opposed to failing itself.</summary>
    public static bool IsValueRefused(DuckDBException exception) =>
        exception.Message.StartsWith("Conversion Error", StringComparison.Ordinal)
        || exception.Message.StartsWith("Invalid Input Error", StringComparison.Ordinal)
        || exception.Message.StartsWith("Out of Range Error", StringComparison.Ordinal);
}
