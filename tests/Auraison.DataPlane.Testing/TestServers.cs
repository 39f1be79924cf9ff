using Amazon.Runtime;
using Amazon.S3;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// The real servers the production-mode tests use. Addresses come from the environment (scripts/test.sh sets them);
/// where they are unset and Docker runs, Testcontainers starts them. With CI=true a missing server fails the test,
/// never skips it.
/// </summary>
public static class TestServers
{
    public const string PostgresVariable = "DATAPLANE_TEST_PG";
    public const string S3Variable = "DATAPLANE_TEST_S3";
    private const string S3rverKey = "S3RVER";
    public const string Bucket = "dataplane-tests";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Servers? _servers;

    public sealed record Servers(string PostgresConnectionString, string S3ServiceUrl, string S3AccessKey, string S3SecretKey)
    {
        public AmazonS3Client CreateS3Client() => new(
            new BasicAWSCredentials(S3AccessKey, S3SecretKey),
            new AmazonS3Config
            {
                ServiceURL = S3ServiceUrl,
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            });
    }

    public static async Task<Servers> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _servers ??= await ResolveAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<Servers> ResolveAsync()
    {
        var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
        var s3 = Environment.GetEnvironmentVariable(S3Variable);
        if (!string.IsNullOrWhiteSpace(postgres) && !string.IsNullOrWhiteSpace(s3))
        {
            var configured = new Servers(postgres, s3, S3rverKey, S3rverKey);
            await PrepareAsync(configured);
            return configured;
        }
        {
            var missing = $"{PostgresVariable} and {S3Variable} are not both set";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"CI=true but {missing}: production-mode tests must run against real servers in CI (run scripts/test.sh).");
            if (!DockerIsAvailable())
                Assert.Skip($"Production mode needs PostgreSQL + pgvector and S3: {missing} and Docker is not available. Run scripts/test.sh.");
            var started = await StartContainersAsync();
            await PrepareAsync(started);
            return started;
        }
    }

    private static bool DockerIsAvailable() => File.Exists("/var/run/docker.sock");

    private static async Task<Servers> StartContainersAsync()
    {
        const string minioUser = "dataplane", minioPassword = "dataplane-secret";
        var postgres = new PostgreSqlBuilder("pgvector/pgvector:pg16").Build();
        IContainer minio = new ContainerBuilder("minio/minio:latest")
            .WithEnvironment("MINIO_ROOT_USER", minioUser)
            .WithEnvironment("MINIO_ROOT_PASSWORD", minioPassword)
            .WithCommand("server", "/data")
            .WithPortBinding(9000, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPath("/minio/health/ready").ForPort(9000)))
            .Build();
        await Task.WhenAll(postgres.StartAsync(), minio.StartAsync());
        return new Servers(postgres.GetConnectionString(), $"http://{minio.Hostname}:{minio.GetMappedPublicPort(9000)}", minioUser, minioPassword);
    }

    private static async Task PrepareAsync(Servers servers)
    {
        await using (var connection = new NpgsqlConnection(servers.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public", connection);
            await command.ExecuteNonQueryAsync();
        }
        using var s3 = servers.CreateS3Client();
        try
        {
            await s3.PutBucketAsync(Bucket);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }
}
