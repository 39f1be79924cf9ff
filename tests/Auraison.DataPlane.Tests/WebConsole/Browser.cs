using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Auraison.DataPlane.Tests.WebConsole;

/// <summary>Debian's headless Chromium driven through its chromedriver (scripts/provision.sh installs both); nothing is downloaded.</summary>
internal static class Browser
{
    private const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    /// <summary>Where each page's screenshot goes: the test run's artifacts.</summary>
    public static string Artifacts { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts", "console")).FullName;

    public static ChromeDriver Start()
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver))
        {
            const string missing = "Chromium or chromedriver is not installed (run scripts/provision.sh)";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"CI=true but {missing}.");
            Assert.Skip($"Console tests need a browser: {missing}.");
        }
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until the condition holds (10 s at most).</summary>
    public static T Until<T>(this IWebDriver driver, Func<IWebDriver, T?> condition, string what)
    {
        for (var waited = 0; waited < 100; waited++)
        {
            try
            {
                if (condition(driver) is { } value && !Equals(value, false)) return value;
            }
            catch (NoSuchElementException)
            {
            }
            Thread.Sleep(100);
        }
        throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}; status: {driver.FindElement(By.Id("status")).Text}");
    }

    /// <summary>Severe messages the page logged (script errors, failed requests).</summary>
    public static List<string> Errors(this IWebDriver driver) =>
        driver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level == LogLevel.Severe).Select(e => e.Message).ToList();

    public static void Screenshot(this ChromeDriver driver, string name) =>
        driver.GetScreenshot().SaveAsFile(Path.Combine(Artifacts, name + ".png"));
}
