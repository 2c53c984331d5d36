namespace Conveyor.Retry;

/// <summary>Exponential back-off with full jitter: a uniform draw from zero to the capped exponential ceiling.</summary>
internal static class Backoff
{
    /// <summary>The ceiling after <paramref name="failedAttempt"/> (1-based): <c>min(max, base × 2^(n − 1))</c>.</summary>
    public static TimeSpan Ceiling(RetryOptions options, int failedAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        // From 2^63 on, any base of one tick or more is past TimeSpan.MaxValue, so the cap applies. Clamping the
        // exponent there keeps the product finite (a zero base would otherwise give 0 × ∞ = NaN).
        var exponent = Math.Min(failedAttempt - 1, 63);
        var ticks = options.BaseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= options.MaxDelay.Ticks ? options.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The delay before the next attempt: <paramref name="unitRandom"/> (in [0, 1)) times the ceiling.</summary>
    public static TimeSpan Delay(RetryOptions options, int failedAttempt, double unitRandom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(unitRandom, 0d);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(unitRandom, 1d);
        return TimeSpan.FromTicks((long)(Ceiling(options, failedAttempt).Ticks * unitRandom));
    }
}
