namespace Conveyor;

/// <summary>
/// How a job type retries transient failures: up to <see cref="MaxAttempts"/> attempts, waiting a random
/// time between zero and <c>min(MaxDelay, BaseDelay × 2^(attempt − 1))</c> after a failed attempt (exponential
/// back-off with full jitter).
/// </summary>
public sealed class RetryOptions
{
    /// <summary>The most attempts, including the first. Default 10; at least 1.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The back-off ceiling after the first failed attempt. Default 2 seconds; not negative.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest back-off. Default 1 hour; at least <see cref="BaseDelay"/>.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    internal RetryOptions Clone() => new() { MaxAttempts = MaxAttempts, BaseDelay = BaseDelay, MaxDelay = MaxDelay };
}
