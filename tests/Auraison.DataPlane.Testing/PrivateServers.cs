using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// A PostgreSQL (with pgvector) and an s3rver of one test's own, started natively as scripts/servers.sh starts the
/// shared ones, which the test stops and starts again to see what a fault does. Skipped with a message where the
/// binaries are missing (scripts/provision.sh installs them); with CI=true that is a failure instead.
/// </summary>
public sealed class PrivateServers : IAsyncDisposable
{
    private const string PostgresBin = "/usr/lib/postgresql/15/bin";
    private readonly string _work = Directory.CreateTempSubdirectory("auraison-private-").FullName;
    private readonly int _postgresPort = FreePort();
    private readonly int _s3Port = FreePort();
    private Process? _s3;

    private PrivateServers()
    {
    }

    public TestServers.Servers Servers => new(
        $"Host=127.0.0.1;Port={_postgresPort};Username=postgres;Database=postgres;Maximum Pool Size=20;Timeout=5",
        $"http://127.0.0.1:{_s3Port}", "S3RVER", "S3RVER");

    private static string S3rver => Path.Combine(Environment.GetEnvironmentVariable("AURAISON_TOOLS_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "auraison-dataplane"), "node_modules", ".bin", "s3rver");

    public static async Task<PrivateServers> StartAsync()
    {
        if (!File.Exists(Path.Combine(PostgresBin, "initdb")) || !File.Exists(S3rver))
        {
            const string missing = "PostgreSQL 15 or s3rver is not installed (run scripts/provision.sh)";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"CI=true but {missing}.");
            Assert.Skip($"Fault tests start servers of their own: {missing}.");
        }
        var servers = new PrivateServers();
        Directory.CreateDirectory(servers.PostgresData);
        Directory.CreateDirectory(servers.Socket);
        if (IsRoot) await RunAsync("chown", "-R", "postgres:postgres", servers._work);
        await AsPostgresAsync(Path.Combine(PostgresBin, "initdb"), "-D", servers.PostgresData, "-U", "postgres", "-A", "trust", "--no-sync");
        await servers.StartPostgresAsync();
        await servers.StartS3Async();
        return servers;
    }

    public Task StartPostgresAsync() => AsPostgresAsync(Path.Combine(PostgresBin, "pg_ctl"), "-D", PostgresData, "-l", Path.Combine(_work, "pg.log"), "-w", "-o",
        $"-p {_postgresPort} -c listen_addresses=127.0.0.1 -k {Socket} -c fsync=off -c max_connections=100", "start");

    /// <summary>Stops PostgreSQL at once, as a crash or a network cut looks to its clients.</summary>
    public Task StopPostgresAsync() => AsPostgresAsync(Path.Combine(PostgresBin, "pg_ctl"), "-D", PostgresData, "-m", "immediate", "-w", "stop");

    public async Task StartS3Async()
    {
        var start = new ProcessStartInfo(S3rver, ["-d", Path.Combine(_work, "s3"), "-a", "127.0.0.1", "-p", _s3Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        _s3 = Process.Start(start)!;
        _s3.BeginOutputReadLine();
        _s3.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _s3Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException("s3rver did not start.");
    }

    /// <summary>Kills s3rver: the endpoint refuses connections until <see cref="StartS3Async"/>.</summary>
    public async Task StopS3Async()
    {
        if (_s3 is null || _s3.HasExited) return;
        _s3.Kill(entireProcessTree: true);
        await _s3.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopS3Async();
        try
        {
            await StopPostgresAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test.
        }
        Directory.Delete(_work, recursive: true);
    }

    private string PostgresData => Path.Combine(_work, "pg");

    private string Socket => Path.Combine(_work, "socket");

    private static bool IsRoot => Environment.UserName == "root";

    // PostgreSQL refuses to run as root; the Debian package's postgres user owns the cluster then.
    private static Task AsPostgresAsync(string program, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output} {await errors}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
