using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Query;

public class SqlGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<ParsedQuery> ParseAsync(string sql)
    {
        await using var parser = new DuckDBConnection("Data Source=:memory:");
        await parser.OpenAsync(Ct);
        return await SqlGuard.ParseAsync(parser, sql, Ct);
    }

    private static async Task<IReadOnlySet<TableName>?> NamedAsync(string sql) => (await ParseAsync(sql)).TablesNamed;

    [Theory]
    [InlineData("SELECT * FROM job_outcomes j JOIN Event_Log.Agent_Traces a ON a.trace_id = j.job_id", "event_log.agent_traces,main.job_outcomes")]
    [InlineData("WITH recent AS (SELECT * FROM job_outcomes) SELECT * FROM recent", "main.job_outcomes")]
    [InlineData("SELECT * FROM experiments WHERE id IN (SELECT job_id FROM lineage.ingests)", "lineage.ingests,main.experiments")]
    [InlineData("EXPLAIN SELECT count(*) FROM job_outcomes", "main.job_outcomes")]
    public async Task The_tables_a_query_names_are_found_in_subqueries_and_ctes_but_not_as_cte_names(string sql, string expected)
    {
        var named = await NamedAsync(sql);

        Assert.Equal(expected, string.Join(",", named!.Select(t => t.ToString()).Order(StringComparer.Ordinal)));
    }

    [Theory]
    [InlineData("SELECT table_name FROM information_schema.tables")]
    [InlineData("SELECT 42")]
    [InlineData("SELEC broken")]
    public async Task A_query_whose_tables_cannot_be_told_gets_every_table(string sql) =>
        Assert.Null(await NamedAsync(sql));

    [Fact]
    public async Task A_query_that_also_describes_a_table_gets_every_table()
    {
        var parsed = await ParseAsync("SELECT * FROM job_outcomes, (DESCRIBE experiments)");

        Assert.Null(parsed.Refusal);
        Assert.Null(parsed.TablesNamed);
    }
}
