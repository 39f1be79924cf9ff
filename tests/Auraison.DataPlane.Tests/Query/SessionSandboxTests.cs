using Auraison.DataPlane.Query;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Query;

public sealed class SessionSandboxTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "auraison-tests", "sandbox-" + Guid.NewGuid().ToString("N"));
    private readonly DuckDBConnection _duck = new("Data Source=:memory:");

    private string Tenant => Path.Combine(_root, "t", "tenant_id=acme") + "/";

    public async ValueTask InitializeAsync()
    {
        await _duck.OpenAsync(DataPlaneApp.Ct);
        foreach (var file in new[] { "t/tenant_id=acme/day=1/own.parquet", "t/tenant_id=acme2/other.parquet", "t/listed.parquet", "t/unlisted.parquet" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, file))!);
            await RunAsync($"COPY (SELECT '{file}' AS f) TO '{Path.Combine(_root, file)}'");
        }
        await SessionSandbox.LockAsync(_duck, new HashSet<string> { Tenant }, [Path.Combine(_root, "t/listed.parquet"), Path.Combine(_root, "t/tenant_id=acme/day=1/own.parquet")],
            DataPlaneApp.Ct);
    }

    [Theory]
    [InlineData("t/tenant_id=acme/day=1/own.parquet")]
    [InlineData("t/listed.parquet")]
    public async Task A_locked_database_reads_the_files_under_its_directories_and_those_listed(string file) =>
        Assert.Equal(file, await ScalarAsync($"SELECT f FROM read_parquet('{Path.Combine(_root, file)}')"));

    [Theory]
    [InlineData("t/tenant_id=acme2/other.parquet")]
    [InlineData("t/unlisted.parquet")]
    [InlineData("t/tenant_id=acme/../tenant_id=acme2/other.parquet")]
    public async Task A_locked_database_reads_no_other_file(string file)
    {
        var refused = await Assert.ThrowsAsync<DuckDBException>(() => ScalarAsync($"SELECT f FROM read_parquet('{Path.Combine(_root, file)}')"));

        Assert.Contains("Permission Error", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_under_an_allowed_directory_are_not_listed_one_by_one()
    {
        var listed = await ScalarAsync("SELECT current_setting('allowed_paths')::VARCHAR");

        Assert.Contains("listed.parquet", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("own.parquet", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_locked_database_cannot_allow_more()
    {
        var refused = await Assert.ThrowsAsync<DuckDBException>(() => RunAsync($"SET allowed_directories = ['{_root}/']"));

        Assert.Contains("lock", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<string> ScalarAsync(string sql)
    {
        await using var command = _duck.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(DataPlaneApp.Ct), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private async Task RunAsync(string sql)
    {
        await using var command = _duck.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(DataPlaneApp.Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _duck.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
