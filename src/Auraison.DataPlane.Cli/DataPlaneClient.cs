using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Cli;

/// <summary>The service's HTTP API as the CLI uses it: the key on every request, problem details turned into <see cref="CliFailure"/>.</summary>
public sealed class DataPlaneClient(HttpClient http, string? tenant)
{
    private const int Attempts = 4;

    public string Tenant => tenant ?? throw new CliFailure(ExitCodes.Usage, "This command needs a tenant: pass --tenant or set DATAPLANE_TENANT.");

    public static DataPlaneClient Create(Uri url, string? apiKey, string? tenant, HttpMessageHandler? handler)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = url;
        http.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrEmpty(apiKey)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new DataPlaneClient(http, tenant);
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<JsonElement> PostJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) }, cancellationToken);

    public Task<JsonElement> PutJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body) }, cancellationToken);

    public Task<JsonElement> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, path), cancellationToken);

    /// <summary>
    /// Sends a request (made anew for each attempt) and returns its JSON reply. 503 and 429 are retried after their
    /// Retry-After, up to four attempts; other errors fail at once with the service's problem details.
    /// </summary>
    public async Task<JsonElement> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request(), cancellationToken);
            }
            catch (HttpRequestException e)
            {
                if (attempt < Attempts) { await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken); continue; }
                throw new CliFailure(ExitCodes.Unavailable, $"Cannot reach {http.BaseAddress}: {e.Message}");
            }
            using (response)
            {
                var retry = response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests;
                if (retry && attempt < Attempts)
                {
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(attempt), cancellationToken);
                    continue;
                }
                var body = response.Content.Headers.ContentLength == 0 ? default : await ReadJsonAsync(response, cancellationToken);
                if (response.IsSuccessStatusCode) return body;
                throw new CliFailure(retry ? ExitCodes.Unavailable : ExitCodes.Refused, Problem(response.StatusCode, body));
            }
        }
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(new { detail = text });
        }
    }

    private static string Problem(HttpStatusCode status, JsonElement body)
    {
        string? Field(string name) => body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) ? value.ToString() : null;
        return $"{(int)status} {Field("title") ?? status.ToString()}: {Field("detail") ?? "(no detail)"}";
    }
}
