using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;

namespace Conveyor.Server.Api;

/// <summary>The API's JSON: camelCase, strict on input (unknown fields and wrong types are errors, not ignored).</summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,
    };

    /// <summary>Reads a request body strictly within the size limit; on failure returns the problem to answer instead.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, long maxBytes) where T : class
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
        if (context.Request.ContentLength > maxBytes)
            return (null, TooLarge(maxBytes));
        if (!(context.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "JSON expected", "Send the body as 'Content-Type: application/json'."));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Options, context.RequestAborted);
            return value is null ? (null, Problems.Invalid("$", "the body must be a JSON object, not null.")) : (value, null);
        }
        catch (JsonException e)
        {
            var (field, reason) = Explain(e);
            return (null, Problems.Invalid(field, reason));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    private static IResult TooLarge(long maxBytes) => Problems.Result(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The request body is too large",
        $"$: the body exceeds the limit of {maxBytes} bytes.", "$");

    // "$.jobs[2].priority" → "jobs[2].priority", the same field names the library's validation uses.
    private static (string Field, string Reason) Explain(JsonException e)
    {
        var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
        var message = e.Message;
        // The property's name is quoted in the message: first for an unknown one ("The JSON property 'x' could not be
        // mapped..."), last for a missing one ("... type 'T' was missing required properties including: 'x'.").
        var parts = message.Split('\'');
        string Under(string? name) => name is null ? (path.Length > 0 ? path : "$")
            : path.EndsWith(name, StringComparison.Ordinal) ? path
            : path.Length > 0 ? $"{path}.{name}" : name;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
            return (Under(parts.Length >= 3 ? parts[1] : null), "is not a known field.");
        if (message.Contains("missing required properties", StringComparison.Ordinal))
            return (Under(parts.Length >= 3 ? parts[^2] : null), "is required.");
        if (message.Contains("could not be converted", StringComparison.Ordinal))
            return (path.Length > 0 ? path : "$", "has the wrong type.");
        return (path.Length > 0 ? path : "$", "is not valid JSON.");
    }
}
