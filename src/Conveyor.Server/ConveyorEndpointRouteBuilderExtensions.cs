using Conveyor.Server.Api;
using Conveyor.Storage;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts Conveyor's HTTP API into an ASP.NET Core app.</summary>
public static class ConveyorEndpointRouteBuilderExtensions
{
    internal const string KeyPolicy = "ConveyorApiKey";
    internal const string OperationsPolicy = "ConveyorOperations";

    /// <summary>
    /// Maps the API under <paramref name="prefix"/>: <c>/v1/...</c> (every endpoint needs an API key),
    /// <c>/openapi/v1.json</c>, <c>/metrics</c> (Prometheus; operator or admin key), and <c>/healthz</c> and
    /// <c>/readyz</c> (no key). Requires <c>AddConveyor</c> and <c>AddConveyorServer</c>.
    /// </summary>
    /// <returns>The group holding every endpoint, for further conventions.</returns>
    public static RouteGroupBuilder MapConveyor(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var root = endpoints.MapGroup(prefix);
        root.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous().ExcludeFromDescription();
        root.MapGet("/readyz", Ready).AllowAnonymous().ExcludeFromDescription();
        root.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(OperationsPolicy);
        root.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(KeyPolicy);

        // One filter instance for every endpoint: its buckets are the per-key state (AddEndpointFilter<T> would make one per request).
        var v1 = root.MapGroup("/v1").RequireAuthorization(KeyPolicy).AddEndpointFilter(endpoints.ServiceProvider.GetRequiredService<RateLimitFilter>());
        JobEndpoints.Map(v1);
        QueueEndpoints.Map(v1);
        ScheduleEndpoints.Map(v1);
        LimitEndpoints.Map(v1);
        EventEndpoints.Map(v1);
        InteractionEndpoints.Map(v1);
        KeyEndpoints.Map(v1);
        v1.MapFallback(Unmatched).ExcludeFromDescription();
        return root;
    }

    // Routing falls through to here for unknown paths, and for a JSON endpoint sent another content type (its accepts
    // metadata rules it out, so this is the only endpoint left): answer the latter 415, as ASP.NET would without a fallback.
    private static IResult Unmatched(HttpContext http) =>
        http.Request.ContentType is { Length: > 0 } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            ? Problems.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "JSON expected", "Send the body as 'Content-Type: application/json'.")
            : Problems.NotFound($"'{http.Request.Method} {http.Request.Path}'");

    // Ready: the store answers and its schema is the one this code knows (the accessor migrates or refuses a newer one).
    private static async Task<IResult> Ready(StoreAccessor store, CancellationToken cancellationToken)
    {
        try
        {
            var s = await store.GetAsync(cancellationToken);
            await s.QueuesListAsync(cancellationToken);
            return Results.Text("ready");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "not-ready", "Not ready", $"The store is not usable: {e.Message}");
        }
    }
}
