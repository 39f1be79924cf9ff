using System.ComponentModel;
using ModelContextProtocol.Server;

namespace Auraison.DataPlane.Mcp;

[McpServerPromptType]
public sealed class LakePrompts
{
    [McpServerPrompt(Name = "explore_lake")]
    [Description("How to explore the lake with these tools, answering a question with evidence.")]
    public static string ExploreLake([Description("The question to answer from the lake.")] string question) =>
        $"""
        Answer from the Auraison lake, with evidence: "{question}"

        1. Call list_tables to see the tables you can read, their columns and row counts.
        2. Call describe_table on the ones that look relevant to see sample rows before writing SQL.
        3. Use query with DuckDB SQL (SELECT / WITH / SUMMARIZE); aggregate rather than fetching many rows.
           lineage.ingests says which job wrote what (job_lineage does this for one job).
        4. For free-text questions ("why did grasping fail?") call retrieve, then query the rows it points to.
        5. To see the lake as an agent saw it at a decision, list_snapshots and pass a snapshot_id as as_of_snapshot to query;
           lake_history says what changed between two lake snapshots.
        Quote the lake_snapshot_id your answer rests on, so it can be checked later.
        """;
}
