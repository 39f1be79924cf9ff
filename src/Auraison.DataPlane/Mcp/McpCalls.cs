using Auraison.DataPlane.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelContextProtocol;

namespace Auraison.DataPlane.Mcp;

/// <summary>How MCP handlers call the HTTP endpoints' handlers: as the request's caller, with their errors as MCP errors.</summary>
internal static class McpCalls
{
    /// <summary>The request's caller, if its key has the scope (the same refusal as HTTP's 403 otherwise).</summary>
    public static HttpContext Authorize(IHttpContextAccessor accessor, string scope)
    {
        var http = accessor.HttpContext ?? throw new InvalidOperationException("MCP handlers run inside an HTTP request.");
        return http.Caller().Has(scope) ? http : throw new McpException($"The API key lacks the '{scope}' scope.");
    }

    /// <summary>The reply of an endpoint's handler, or an MCP error worded as its problem details.</summary>
    public static T Value<T>(Results<Ok<T>, ProblemHttpResult> results) => results.Result switch
    {
        Ok<T> { Value: { } value } => value,
        ProblemHttpResult problem => throw new McpException(problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "The request failed."),
        var other => throw new InvalidOperationException($"Unexpected result {other.GetType().Name}."),
    };
}
