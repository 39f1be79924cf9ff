using System.Diagnostics;
using Auraison.DataPlane.Configuration;

namespace Auraison.DataPlane.Tests.Hosting;

public class ConfigurationTests
{
    [Theory]
    [InlineData("this is not a connection string", null, null, "./data", "DataPlane:Catalog")]
    [InlineData("Database=lake", null, null, "./data", "DataPlane:Catalog")]
    [InlineData(null, "Port=5432", null, "./data", "DataPlane:Vectors")]
    [InlineData(null, null, "s3://", "./data", "DataPlane:DataPath")]
    [InlineData(null, null, "gs://bucket/lake/", "./data", "DataPlane:DataPath")]
    [InlineData(null, null, null, " ", "DataPlane:DataDir")]
    public void A_bad_setting_gets_one_failure_naming_it(string? catalog, string? vectors, string? dataPath, string dataDir, string named)
    {
        var options = new DataPlaneOptions { Catalog = catalog, Vectors = vectors, DataPath = dataPath, DataDir = dataDir };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        var line = Assert.Single(result.Failures ?? []);
        Assert.StartsWith(named, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flush,vacuum")]
    [InlineData("flush,,expire, cleanup,merged")]
    public void An_unknown_maintenance_step_is_a_failure_naming_it(string steps)
    {
        var options = new DataPlaneOptions { Maintenance = { Steps = steps } };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        Assert.StartsWith("DataPlane:Maintenance:Steps", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_default_is_valid()
    {
        Assert.True(new DataPlaneOptionsValidator().Validate(null, new DataPlaneOptions()).Succeeded);
    }

    [Fact]
    public void S3_keys_must_come_in_pairs()
    {
        var options = new DataPlaneOptions { DataPath = "s3://bucket/lake/", S3 = new S3Options { AccessKey = "only-the-access-key" } };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures ?? [], f => f.Contains("DataPlane:S3:SecretKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_service_process_exits_with_one_line_naming_a_bad_setting()
    {
        var start = new ProcessStartInfo("dotnet", [typeof(DataPlaneOptions).Assembly.Location, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            Environment = { ["DataPlane__Catalog"] = "Database=no-host-here" },
        };
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Invalid configuration: DataPlane:Catalog", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout, StringComparison.Ordinal);
    }
}
