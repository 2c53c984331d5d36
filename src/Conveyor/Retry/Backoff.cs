namespace Conveyor.Retry;

/// <summary>Exponential back-off with full jitter: a uniform draw from zero to the capped exponential ceiling.</summary>
internal static class Backoff
{
    /// <summary>The ceiling after <paramref name="failedAttempt"/> (1-based): <c>min(max, base × 2^(n − 1))</c>.</summary>
    public static TimeSpan Ceiling(RetryOptions options, int failedAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        // Past 2^62 the product overflows; the cap has long been reached by then.
        var exponent = Math.Min(failedAttempt - 1, 62);
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
