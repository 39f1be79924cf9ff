using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Hosting;

/// <summary>
/// Turns an unhandled exception into RFC 9457 problem+json: known failures get their status and message, anything
/// else a generic 500 whose details stay in the log.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge => (tooLarge.StatusCode, "Payload too large", tooLarge.Message),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            IngestRejectedException rejected => (rejected.Status, rejected.Title, rejected.Message),
            LakeSchemaException schema => (StatusCodes.Status400BadRequest, "Invalid schema", schema.Message),
            SnapshotNotFoundException missing => (StatusCodes.Status404NotFound, "Snapshot not found", missing.Message),
            LakeConflictException conflict => (StatusCodes.Status409Conflict, "Concurrent change", conflict.Message),
            LakeConfigurationException or CatalogVersionException =>
                (StatusCodes.Status503ServiceUnavailable, "Lake unavailable", exception.Message),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (499, "Client closed request", "The request was cancelled."),
            _ when Faults.IsOutage(exception) =>
                (StatusCodes.Status503ServiceUnavailable, "Service unavailable", "A store the service needs did not answer; retry shortly."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The server failed; the log has details under this trace id."),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            var seconds = (exception as IngestRejectedException)?.RetryAfterSeconds ?? 1;
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            logger.LogWarning(exception, "Request answered 503");
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Request failed with {Status}", status);
        }
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
