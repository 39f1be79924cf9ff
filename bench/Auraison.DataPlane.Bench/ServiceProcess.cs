using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Auraison.DataPlane.Bench;

/// <summary>The data plane as its own process on loopback, with its peak memory read from /proc.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ServiceProcess> StartAsync(string dll, IReadOnlyDictionary<string, string> environment)
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[service] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                if ((await client.GetAsync(new Uri(service.Address, "/health/ready"))).IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException("The service did not become ready.");
    }

    /// <summary>Resets the kernel's peak-RSS mark, so the next reading covers only what runs after this.</summary>
    public void ResetPeakMemory() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    /// <summary>Peak resident memory since start or the last reset, in bytes (VmHWM).</summary>
    public long PeakMemoryBytes() => StatusBytes("VmHWM:");

    /// <summary>Resident memory now, in bytes (VmRSS).</summary>
    public long MemoryBytes() => StatusBytes("VmRSS:");

    private long StatusBytes(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
