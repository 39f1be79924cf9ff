using Microsoft.AspNetCore.Http.HttpResults;

namespace Auraison.DataPlane.Hosting;

/// <summary>RFC 9457 problem results with the service's titles; extra members (such as <c>errors</c>) ride along.</summary>
public static class Problems
{
    public static ProblemHttpResult Of(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    public static ProblemHttpResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult Forbidden(string detail) => Of(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static ProblemHttpResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ProblemHttpResult Unprocessable(string detail, object? errors = null) =>
        Of(StatusCodes.Status422UnprocessableEntity, "Unprocessable content", detail,
            errors is null ? null : new Dictionary<string, object?> { ["errors"] = errors });
}
