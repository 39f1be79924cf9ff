using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Auraison.DataPlane.Hosting;

/// <summary>Parsing of optional query-string values, with the 400 that names the parameter.</summary>
public static class RequestValues
{
    public static ProblemHttpResult? Time(string? text, string name, out DateTimeOffset? time)
    {
        time = null;
        if (text is null) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            return Problems.BadRequest($"{name} '{text}' is not an ISO-8601 timestamp.");
        time = parsed;
        return null;
    }
}
