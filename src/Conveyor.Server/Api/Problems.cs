using System.Globalization;
using System.Text.Json;

namespace Conveyor.Server.Api;

/// <summary>
/// Every error of the API is <c>application/problem+json</c> (RFC 9457) with a stable <c>type</c>, and for bad input
/// the <c>field</c> at fault and the <c>reason</c>.
/// </summary>
internal static class Problems
{
    public const string TypeBase = "https://conveyor.dev/problems/";

    public static IResult Result(int status, string slug, string title, string detail, string? field = null, TimeSpan? retryAfter = null, long? jobId = null) =>
        new ProblemResult(status, slug, title, detail, field, retryAfter, jobId);

    public static IResult Invalid(string field, string reason) =>
        Result(StatusCodes.Status400BadRequest, "invalid-request", "The request is invalid", $"{field}: {reason}", field);

    public static IResult NotFound(string what) =>
        Result(StatusCodes.Status404NotFound, "not-found", "Not found", $"{what} does not exist or is not visible to this key.");

    public static IResult Forbidden(string detail) =>
        Result(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", detail);

    public static Task Write(HttpContext context, int status, string slug, string title, string detail, string? field = null, TimeSpan? retryAfter = null, long? jobId = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        if (retryAfter is { } wait)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var body = new Dictionary<string, object?>
        {
            ["type"] = TypeBase + slug,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = context.Request.Path.Value,
        };
        if (field is not null)
        {
            body["field"] = field;
            body["reason"] = detail.StartsWith(field + ": ", StringComparison.Ordinal) ? detail[(field.Length + 2)..] : detail;
        }
        if (retryAfter is { } after)
            body["retryAfterSeconds"] = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
        if (jobId is { } id)
            body["jobId"] = id;
        return JsonSerializer.SerializeAsync(response.Body, body, ApiJson.Options, context.RequestAborted);
    }

    private sealed record ProblemResult(int Status, string Slug, string Title, string Detail, string? Field, TimeSpan? RetryAfter, long? JobId) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Write(httpContext, Status, Slug, Title, Detail, Field, RetryAfter, JobId);
    }
}
