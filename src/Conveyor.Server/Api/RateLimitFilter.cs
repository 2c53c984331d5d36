using System.Threading.RateLimiting;
using Conveyor.Server.Auth;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>
/// Per-key rate limit of /v1: one token bucket per API key; a request over it answers 429 with Retry-After. An
/// endpoint filter rather than middleware, so that <c>MapConveyor</c> alone brings it into any app.
/// </summary>
internal sealed class RateLimitFilter : IEndpointFilter, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public RateLimitFilter(IOptions<ConveyorServerOptions> options)
    {
        var o = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.RateLimitBurst,
            TokensPerPeriod = o.RateLimitPermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var keyId = Caller.From(context.HttpContext.User).KeyId;
        using var lease = _limiter.AttemptAcquire(keyId);
        if (lease.IsAcquired)
            return await next(context);
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return Problems.Result(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests",
            $"This API key exceeded its rate limit; retry after {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds))} s.", retryAfter: retryAfter);
    }

    public void Dispose() => _limiter.Dispose();
}
