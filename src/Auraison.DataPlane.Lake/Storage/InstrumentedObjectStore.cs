using System.Runtime.CompilerServices;

namespace Auraison.DataPlane.Lake.Storage;

/// <summary>An object store whose calls are counted (and uploads and downloads traced) in <see cref="LakeTelemetry"/>.</summary>
internal sealed class InstrumentedObjectStore(IObjectStore inner) : IObjectStore, IDisposable
{
    public Task UploadAsync(string localFile, string path, CancellationToken cancellationToken) =>
        CallAsync("upload", async () =>
        {
            using var span = LakeTelemetry.Source.StartActivity("lake.upload");
            span?.SetTag("lake.path", path);
            await inner.UploadAsync(localFile, path, cancellationToken);
            return true;
        });

    public Task<string> GetLocalPathAsync(string path, CancellationToken cancellationToken) =>
        CallAsync("get", () => inner.GetLocalPathAsync(path, cancellationToken));

    public string LocalPathOf(string path) => inner.LocalPathOf(path);

    public string? LocalDirectoryOf(string directory) => inner.LocalDirectoryOf(directory);

    public string? CacheDirectory => inner.CacheDirectory;

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => CallAsync("exists", () => inner.ExistsAsync(path, cancellationToken));

    public Task<Uri?> PresignUploadAsync(string path, string contentType, DateTimeOffset expiresAt) =>
        CallAsync("presign", () => inner.PresignUploadAsync(path, contentType, expiresAt));

    public Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        CallAsync("delete", async () =>
        {
            await inner.DeleteAsync(path, cancellationToken);
            return true;
        });

    public async IAsyncEnumerable<StoredObject> ListAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        LakeTelemetry.StoreCall("list", succeeded: true);
        await foreach (var stored in inner.ListAsync(directory, cancellationToken)) yield return stored;
    }

    public Task CheckAsync(CancellationToken cancellationToken) =>
        CallAsync("check", async () =>
        {
            await inner.CheckAsync(cancellationToken);
            return true;
        });

    public void Dispose() => (inner as IDisposable)?.Dispose();

    private static async Task<T> CallAsync<T>(string operation, Func<Task<T>> call)
    {
        try
        {
            var result = await call();
            LakeTelemetry.StoreCall(operation, succeeded: true);
            return result;
        }
        catch
        {
            LakeTelemetry.StoreCall(operation, succeeded: false);
            throw;
        }
    }
}
