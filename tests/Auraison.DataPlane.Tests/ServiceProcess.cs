using System.Diagnostics;
using System.Net.Sockets;

namespace Auraison.DataPlane.Tests;

/// <summary>
/// The service as a user runs it: its own process on Kestrel (real request limits, real sockets), configured for a
/// test's lake through environment variables. Several can share one production lake (replicas); each has its own
/// data directory, as replicas behind a load balancer have.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        Client.DefaultRequestHeaders.Authorization = new("Bearer", TestLake.BootstrapKey);
    }

    public Uri Address { get; }

    /// <summary>A client presenting the test management key.</summary>
    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the service on the lake and waits until it answers <c>/health/live</c>.</summary>
    public static async Task<ServiceProcess> StartAsync(TestLake lake, string name = "service", IReadOnlyDictionary<string, string?>? settings = null)
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet", [typeof(Configuration.DataPlaneOptions).Assembly.Location, "--urls", address.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var environment = new Dictionary<string, string?>(lake.HostConfiguration)
        {
            ["DataPlane:DataDir"] = Path.Combine(lake.WorkDirectory, name),
            ["DataPlane:Retrieval:IndexerEnabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) environment[key] = value;
        foreach (var (key, value) in environment) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, address);
        await service.WaitAsync("/health/live");
        return service;
    }

    /// <summary>Waits until the path answers 2xx (for instance <c>/health/ready</c> after a store came back).</summary>
    public async Task WaitAsync(string path, int seconds = 60)
    {
        for (var waited = 0; waited < seconds * 5; waited++)
        {
            if (_process.HasExited) Assert.Fail($"The service process exited with {_process.ExitCode}.");
            try
            {
                if ((await Client.GetAsync(path, TestContext.Current.CancellationToken)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"The service did not answer {path} within {seconds} s.");
    }

    /// <summary>Kills the process at once (kill -9): no shutdown, no flush, as a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>Peak resident memory of the process so far, in bytes (VmHWM).</summary>
    public long PeakMemoryBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await KillAsync();
        _process.Dispose();
    }
}
