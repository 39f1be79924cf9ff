using System.Net.Http.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Auraison.DataPlane.Tests.WebConsole;

/// <summary>
/// A user at the console: the service in its own process on a fresh embedded lake holding a few navigation trials of
/// a job and a checkpoint, and a headless Chromium signed in to it as tenant acme.
/// </summary>
internal sealed class ConsoleSession : IAsyncDisposable
{
    private readonly TestLake _lake;
    private readonly ServiceProcess _service;

    private ConsoleSession(TestLake lake, ServiceProcess service, ChromeDriver browser) => (_lake, _service, Browser) = (lake, service, browser);

    public ChromeDriver Browser { get; }

    public static async Task<ConsoleSession> OpenAsync()
    {
        // The browser first: without one the test is skipped before any server starts.
        var browser = WebConsole.Browser.Start();
        var lake = await TestLake.CreateAsync(LakeMode.Embedded);
        var session = new ConsoleSession(lake, await ServiceProcess.StartAsync(lake), browser);
        await session.PostAsync("/data/ingest", new
        {
            table = "event_log.ros_navigation_trials", tenant_id = "acme", job_id = "nav2-sim", schema_version = "1",
            records = new object[] { new { trial_id = "t1", robot_id = "tb1", success = false, duration_s = 41.5 }, new { trial_id = "t2", robot_id = "tb2", success = true, duration_s = 12.0 } },
        });
        await session.PostAsync("/data/snapshots", new
        {
            tenant_id = "acme", intent_id = Guid.NewGuid(), timestamp = "2026-11-30T10:00:00Z",
            agents_active = new[] { new { role = "navigator", status = "replanning", tool_call_count = 2 } },
            user_plane = new { }, causal_chain = Array.Empty<object>(),
        });
        session.Go("");
        session.Browser.FindElement(By.Id("key")).SendKeys(TestLake.BootstrapKey);
        session.Browser.FindElement(By.Id("tenant")).SendKeys("acme");
        session.Browser.FindElement(By.CssSelector("#signin button")).Click();
        return session;
    }

    /// <summary>Opens a page of the console (its hash route).</summary>
    public ChromeDriver Go(string page)
    {
        Browser.Navigate().GoToUrl(new Uri(_service.Address, $"/console/#{page}"));
        return Browser;
    }

    private async Task PostAsync(string path, object body)
    {
        var response = await _service.Client.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        await _service.DisposeAsync();
        await _lake.DisposeAsync();
    }
}
