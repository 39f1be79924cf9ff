using System.Text.Encodings.Web;
using System.Text.Json;
using Auraison.DataPlane.Query;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Query;

/// <summary>What a query's values and column types look like in JSON, for every type DuckDB answers.</summary>
public class DirectResultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly JsonSerializerOptions AsServed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Theory]
    [InlineData("1::TINYINT", "TINYINT", "1")]
    [InlineData("2::UTINYINT", "UTINYINT", "2")]
    [InlineData("-3::SMALLINT", "SMALLINT", "-3")]
    [InlineData("4::USMALLINT", "USMALLINT", "4")]
    [InlineData("5::INTEGER", "INTEGER", "5")]
    [InlineData("6::UINTEGER", "UINTEGER", "6")]
    [InlineData("-7::BIGINT", "BIGINT", "-7")]
    [InlineData("18446744073709551615::UBIGINT", "UBIGINT", "\"18446744073709551615\"")]
    [InlineData("-3::HUGEINT", "HUGEINT", "-3")]
    [InlineData("-170141183460469231731687303715884105727::HUGEINT", "HUGEINT", "\"-170141183460469231731687303715884105727\"")]
    [InlineData("4::UHUGEINT", "UHUGEINT", "4")]
    [InlineData("340282366920938463463374607431768211455::UHUGEINT", "UHUGEINT", "\"340282366920938463463374607431768211455\"")]
    [InlineData("-1.5::DECIMAL(18,3)", "DECIMAL(18,3)", "-1.500")]
    [InlineData("1234567890123456789012345678.9012345678::DECIMAL(38,10)", "DECIMAL(38,10)", "1234567890123456789012345678.9012345678")]
    [InlineData("1.25::FLOAT", "FLOAT", "1.25")]
    [InlineData("0.1::DOUBLE", "DOUBLE", "0.1")]
    [InlineData("'nan'::DOUBLE", "DOUBLE", "\"NaN\"")]
    [InlineData("'-inf'::FLOAT", "FLOAT", "\"-Infinity\"")]
    [InlineData("true", "BOOLEAN", "true")]
    [InlineData("'x ü'", "VARCHAR", "\"x ü\"")]
    [InlineData("'{\"k\": [1, 2]}'::JSON", "JSON", "{\"k\":[1,2]}")]
    [InlineData("{'doc': '[1]'::JSON}", "STRUCT(doc JSON)", "{\"doc\":[1]}")]
    [InlineData("'ok'::ENUM('sad', 'ok')", "ENUM('sad', 'ok')", "\"ok\"")]
    [InlineData("[1, NULL, 3]", "INTEGER[]", "[1,null,3]")]
    [InlineData("[[1], []]::BIGINT[][]", "BIGINT[][]", "[[1],[]]")]
    [InlineData("[1, 2, 3]::INTEGER[3]", "INTEGER[3]", "[1,2,3]")]
    [InlineData("{'x': 1, 'y z': NULL}", "STRUCT(x INTEGER, \"y z\" INTEGER)", "{\"x\":1,\"y z\":null}")]
    [InlineData("[{'x': 1}, NULL, {'x': 2}]", "STRUCT(x INTEGER)[]", "[{\"x\":1},null,{\"x\":2}]")]
    [InlineData("MAP {'a': 1, 'b': NULL}", "MAP(VARCHAR, INTEGER)", "{\"a\":1,\"b\":null}")]
    [InlineData("MAP {1: 'a'}", "MAP(INTEGER, VARCHAR)", "{\"1\":\"a\"}")]
    [InlineData("union_value(num := 2)::UNION(num INTEGER, str VARCHAR)", "UNION(num INTEGER, str VARCHAR)", "2")]
    [InlineData("'00000000-0000-0000-0000-000000000001'::UUID", "UUID", "\"00000000-0000-0000-0000-000000000001\"")]
    [InlineData("'\\xAA\\x00'::BLOB", "BLOB", "\"qgA=\"")]
    [InlineData("'0101'::BIT", "BIT", "\"0101\"")]
    [InlineData("'101100111'::BIT", "BIT", "\"101100111\"")]
    [InlineData("DATE '2024-01-02'", "DATE", "\"2024-01-02\"")]
    [InlineData("DATE '0044-03-15 (BC)'", "DATE", "\"0044-03-15 (BC)\"")]
    [InlineData("'-infinity'::DATE", "DATE", "\"-infinity\"")]
    [InlineData("TIME '01:02:03.5'", "TIME", "\"01:02:03.5\"")]
    [InlineData("TIME '24:00:00'", "TIME", "\"24:00:00\"")]
    [InlineData("TIMETZ '01:02:03+05'", "TIME WITH TIME ZONE", "\"01:02:03+05\"")]
    [InlineData("TIMESTAMP '2024-01-02 03:04:05.123456'", "TIMESTAMP", "\"2024-01-02T03:04:05.123456\"")]
    [InlineData("TIMESTAMP '1969-12-31 23:59:59.5'", "TIMESTAMP", "\"1969-12-31T23:59:59.5\"")]
    [InlineData("TIMESTAMP '12345-06-07 08:09:10'", "TIMESTAMP", "\"12345-06-07T08:09:10\"")]
    [InlineData("TIMESTAMPTZ '2024-01-02 03:04:05+02'", "TIMESTAMP WITH TIME ZONE", "\"2024-01-02T01:04:05Z\"")]
    [InlineData("TIMESTAMP_NS '2024-01-02 03:04:05.123456789'", "TIMESTAMP_NS", "\"2024-01-02T03:04:05.123456789\"")]
    [InlineData("TIMESTAMP_MS '2024-01-02 03:04:05.12'", "TIMESTAMP_MS", "\"2024-01-02T03:04:05.12\"")]
    [InlineData("TIMESTAMP_S '2024-01-02 03:04:05'", "TIMESTAMP_S", "\"2024-01-02T03:04:05\"")]
    [InlineData("'infinity'::TIMESTAMP", "TIMESTAMP", "\"infinity\"")]
    [InlineData("123456789012345678901234567890::BIGNUM", "BIGNUM", "\"123456789012345678901234567890\"")]
    [InlineData("'POINT(1 2)'::GEOMETRY", "GEOMETRY", "\"POINT (1 2)\"")]
    [InlineData("{'at': 'POINT(1 2)'::GEOMETRY}", "STRUCT(\"at\" GEOMETRY)", "\"{'at': 'POINT (1 2)'}\"")]
    [InlineData("{'select': 1, 'Order': 2, 'Abc': 3, '_u1': 4, '1x': 5}", "STRUCT(\"select\" INTEGER, \"Order\" INTEGER, Abc INTEGER, _u1 INTEGER, \"1x\" INTEGER)",
        "{\"select\":1,\"Order\":2,\"Abc\":3,\"_u1\":4,\"1x\":5}")]
    [InlineData("NULL::INTEGER", "INTEGER", "null")]
    public async Task Each_type_reads_as_json_under_the_name_describe_gives_it(string literal, string type, string json)
    {
        await using var connection = await OpenAsync();

        var (columns, rows) = DirectResult.ReadShown(connection, $"SELECT {literal} AS v", null, Ct);

        Assert.Equal(type, columns.Single().Type.Name);
        Assert.Equal(await DescribedTypeAsync(connection, literal), type);
        Assert.Equal(json, JsonSerializer.Serialize(rows.Single().Single(), AsServed));
    }

    [Theory]
    [InlineData("INTERVAL 3 SECOND")]
    [InlineData("INTERVAL 14 MONTH + INTERVAL 1 DAY")]
    [InlineData("INTERVAL 12 MONTH")]
    [InlineData("-INTERVAL 1 DAY - INTERVAL 1 HOUR")]
    [InlineData("INTERVAL 100 HOUR + INTERVAL 500 MILLISECOND")]
    [InlineData("INTERVAL 0 SECOND")]
    [InlineData("INTERVAL '1 microsecond'")]
    public async Task Intervals_read_as_duckdb_writes_them(string literal)
    {
        await using var connection = await OpenAsync();

        var (_, rows) = DirectResult.ReadShown(connection, $"SELECT {literal} AS v, CAST({literal} AS VARCHAR) AS text", null, Ct);

        Assert.Equal(rows[0][1], rows[0][0]);
    }

    [Fact]
    public async Task Every_row_of_every_chunk_is_read()
    {
        await using var connection = await OpenAsync();

        var (_, rows) = DirectResult.ReadShown(connection, "SELECT i, i::VARCHAR AS s FROM range(5000) t(i)", null, Ct);

        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (object?)(long)i), rows.Select(r => r[0]));
        Assert.Equal("4999", rows[^1][1]);
    }

    [Fact]
    public async Task A_failing_statement_throws_duckdbs_message()
    {
        await using var connection = await OpenAsync();

        var failure = Assert.Throws<DuckDbQueryException>(() => DirectResult.ReadShown(connection, "SELECT nope FROM range(1)", null, Ct));

        Assert.Contains("nope", failure.Message);
    }

    [Fact]
    public async Task Columns_known_to_need_text_are_converted_in_the_one_run()
    {
        await using var connection = await OpenAsync();
        const string sql = "SELECT 'POINT(1 2)'::GEOMETRY AS at";
        var (known, _) = DirectResult.ReadShown(connection, sql, null, Ct);

        var (columns, rows) = DirectResult.ReadShown(connection, sql, known, Ct);

        Assert.Equal("GEOMETRY", columns.Single().Type.Name);
        Assert.Equal("POINT (1 2)", rows.Single().Single());
    }

    private static async Task<string> DescribedTypeAsync(DuckDBConnection connection, string literal)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT column_type FROM (DESCRIBE SELECT {literal} AS v)";
        return (string)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<DuckDBConnection> OpenAsync()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync(Ct);
        return connection;
    }
}
