using Amazon.Runtime;
using Amazon.S3;
using Xunit;

namespace Auraison.DataPlane.Testing;

/// <summary>
/// The real servers the production-mode tests use. Addresses come from the environment (scripts/test.sh starts the
/// servers natively and sets them). With CI=true a missing server fails the test, never skips it.
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
        var missing = $"{PostgresVariable} and {S3Variable} are not both set";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"CI=true but {missing}: production-mode tests must run against real servers in CI (run scripts/test.sh).");
        Assert.Skip($"Production mode needs PostgreSQL + pgvector and S3: {missing}. Run scripts/test.sh.");
        return null!; // not reached: Skip throws
    }

    // Only the bucket: the service creates the vector extension itself, as on a first install.
    internal static async Task PrepareAsync(Servers servers)
    {
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
