using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Auraison.DataPlane.Tests.WebConsole;

/// <summary>The web console in a real headless Chromium against the service in its own process (the embedded default).</summary>
public class ConsoleTests
{
    private static readonly string[] Pages = ["tables", "query", "timeline", "lineage", "checkpoints", "search", "policy"];

    private static string Settled(ChromeDriver browser) =>
        browser.Until(d => d.FindElement(By.Id("status")) is { Text: { Length: > 0 } text } && text != "…" ? text : null, "the page to settle");

    [Fact]
    public async Task Every_page_loads_without_errors_and_is_captured()
    {
        await using var console = await ConsoleSession.OpenAsync();
        var browser = console.Browser;

        foreach (var page in Pages)
        {
            console.Go(page);
            var status = Settled(browser);
            browser.Screenshot(page);

            Assert.DoesNotContain("error", browser.FindElement(By.Id("status")).GetAttribute("class") ?? "", StringComparison.Ordinal);
            Assert.True(browser.FindElement(By.Id($"page-{page}")).Displayed, $"{page}: {status}");
        }
        Assert.Empty(browser.Errors());
        Assert.Contains("event_log.ros_navigation_trials", browser.PageSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_runs_and_shows_its_rows()
    {
        await using var console = await ConsoleSession.OpenAsync();
        var browser = console.Go("query");
        var sql = browser.FindElement(By.Id("sql"));
        sql.Clear();
        sql.SendKeys("SELECT robot_id, duration_s FROM event_log.ros_navigation_trials ORDER BY robot_id");

        browser.FindElement(By.Id("run")).Click();

        var rows = browser.Until(d => d.FindElements(By.CssSelector("#page-query tbody tr")) is { Count: > 0 } found ? found : null, "the query's rows");
        browser.Screenshot("query-result");
        Assert.Equal(["tb1", "tb2"], rows.Select(r => r.FindElement(By.CssSelector("td")).Text));
        Assert.StartsWith("2 rows", browser.FindElement(By.Id("status")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_jobs_lineage_is_drawn_from_the_job_to_its_requests_snapshots_and_checkpoints()
    {
        await using var console = await ConsoleSession.OpenAsync();
        var browser = console.Go("lineage");

        browser.FindElement(By.Id("job")).SendKeys("nav2-sim");
        browser.FindElement(By.CssSelector("#lineage-form button")).Click();

        var graph = browser.Until(d => d.FindElements(By.CssSelector("#lineage-graph .node")) is { Count: >= 4 } nodes ? nodes : null, "the lineage graph");
        browser.Screenshot("lineage-graph");
        var labels = graph.Select(n => n.Text).ToList();
        Assert.Contains("job nav2-sim", labels);
        Assert.Contains(labels, l => l.StartsWith("event_log.ros_navigation_trials: 2 rows", StringComparison.Ordinal));
        Assert.Contains(labels, l => l.StartsWith("lake snapshot", StringComparison.Ordinal));
        Assert.Contains(labels, l => l.StartsWith("checkpoint @", StringComparison.Ordinal));
    }
}
