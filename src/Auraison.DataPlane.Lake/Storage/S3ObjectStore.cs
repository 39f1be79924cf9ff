using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Auraison.DataPlane.Lake.Storage;

/// <summary>Data files in an S3-compatible store (MinIO in production, s3rver in tests), read through a local cache.</summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly FileCache _cache;
    private readonly S3Location _root;
    private readonly long _partSize;

    public S3ObjectStore(string dataPath, S3Settings settings, FileCache cache)
    {
        _root = S3Location.Parse(dataPath);
        _partSize = settings.PartSizeMegabytes * 1024L * 1024L;
        _cache = cache;
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.ForcePathStyle,
            AuthenticationRegion = settings.Region,
            // s3rver and some MinIO versions store chunk-signed or checksummed bodies verbatim; send plain bodies.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrWhiteSpace(settings.ServiceUrl)) config.ServiceURL = settings.ServiceUrl;
        else config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        _client = settings.AccessKey is null
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public async Task UploadAsync(string localFile, string path, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(path);
        if (new FileInfo(localFile).Length > _partSize)
            await UploadInPartsAsync(localFile, location, cancellationToken);
        else
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = location.Bucket,
                Key = location.Key,
                FilePath = localFile,
                UseChunkEncoding = false,
            }, cancellationToken);
        // The writer already has the bytes locally: seed the cache so the first read needs no download.
        _cache.Add(path, localFile);
    }

    /// <summary>A multipart upload, one part at a time from the file; aborted (no parts left behind) when a part fails.</summary>
    private async Task UploadInPartsAsync(string localFile, S3Location location, CancellationToken cancellationToken)
    {
        var length = new FileInfo(localFile).Length;
        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key },
            cancellationToken);
        try
        {
            List<PartETag> parts = [];
            for (var (number, position) = (1, 0L); position < length; number++, position += _partSize)
            {
                var part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = location.Bucket,
                    Key = location.Key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                    FilePath = localFile,
                    FilePosition = position,
                    PartSize = Math.Min(_partSize, length - position),
                    UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(number, part.ETag));
            }
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = location.Bucket,
                Key = location.Key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            await _client.AbortMultipartUploadAsync(location.Bucket, location.Key, upload.UploadId, CancellationToken.None);
            throw;
        }
    }

    public Task<string> GetLocalPathAsync(string path, CancellationToken cancellationToken) =>
        _cache.GetOrDownloadAsync(path, async (target, token) =>
        {
            var location = S3Location.Parse(path);
            using var response = await _client.GetObjectAsync(location.Bucket, location.Key, token);
            await response.WriteResponseStreamToFileAsync(target, append: false, token);
        }, cancellationToken);

    public string LocalPathOf(string path) => _cache.PathFor(path);

    public string? LocalDirectoryOf(string directory) => _cache.DirectoryFor(directory);

    public string? CacheDirectory => _cache.Directory;

    public async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(path);
        try
        {
            await _client.GetObjectMetadataAsync(location.Bucket, location.Key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<Uri?> PresignUploadAsync(string path, string contentType, DateTimeOffset expiresAt)
    {
        var location = S3Location.Parse(path);
        var url = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = location.Bucket,
            Key = location.Key,
            Verb = HttpVerb.PUT,
            ContentType = contentType,
            Expires = expiresAt.UtcDateTime,
            Protocol = _client.Config.ServiceURL?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        });
        return new Uri(url);
    }

    public async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(path);
        await _client.DeleteObjectAsync(location.Bucket, location.Key, cancellationToken);
        _cache.Remove(path);
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(directory);
        var request = new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Key };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in response.S3Objects ?? [])
                yield return new StoredObject($"s3://{location.Bucket}/{item.Key}", item.Size ?? 0, item.LastModified?.ToUniversalTime() ?? DateTime.MinValue);
            request.ContinuationToken = response.NextContinuationToken;
        } while (response.IsTruncated == true);
    }

    // A HEAD of the bucket: the cheapest call every S3 implementation answers alike (listings differ, s3rver's
    // truncated ones need an OpenSSL legacy cipher).
    public async Task CheckAsync(CancellationToken cancellationToken) =>
        await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _root.Bucket }, cancellationToken);

    public void Dispose() => _client.Dispose();
}

internal readonly record struct S3Location(string Bucket, string Key)
{
    public static S3Location Parse(string path)
    {
        if (!DataPaths.IsS3(path)) throw new ArgumentException($"'{path}' is not an s3:// path.", nameof(path));
        var rest = path["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new S3Location(rest, "") : new S3Location(rest[..slash], rest[(slash + 1)..]);
    }
}
