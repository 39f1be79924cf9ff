using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Auraison.DataPlane.Tests.Objects;

/// <summary>Object API calls as a worker makes them.</summary>
internal static class ObjectClient
{
    public static string Url(string key, string tenant) => $"/data/objects/{key}?tenant_id={tenant}";

    public static Task<HttpResponseMessage> PutAsync(this HttpClient client, string tenant, string key, byte[] bytes, string contentType = "video/mp4",
        string? checksum = null, params (string Name, string Value)[] metadata) =>
        client.PutAsync(tenant, key, new ByteArrayContent(bytes), contentType, checksum, metadata);

    public static Task<HttpResponseMessage> PutAsync(this HttpClient client, string tenant, string key, HttpContent content, string contentType = "video/mp4",
        string? checksum = null, params (string Name, string Value)[] metadata)
    {
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Put, Url(key, tenant)) { Content = content };
        if (checksum is not null) request.Headers.Add("x-checksum-sha256", checksum);
        foreach (var (name, value) in metadata) request.Headers.Add($"x-meta-{name}", value);
        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<HttpResponseMessage> PutOkAsync(this HttpClient client, string tenant, string key, byte[] bytes,
        params (string Name, string Value)[] metadata)
    {
        var response = await client.PutAsync(tenant, key, bytes, metadata: metadata);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created,
            $"PUT {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        return response;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
