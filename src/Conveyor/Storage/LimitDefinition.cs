namespace Conveyor.Storage;

/// <summary>
/// The numbers of one configured limit, handed to the claim on every call (they are not stored on jobs, so a
/// redeploy with new numbers applies to queued jobs).
/// </summary>
/// <param name="Name">The limit's name; jobs carry it in their limit key.</param>
/// <param name="MaxRunning">The most running jobs per key; null for no concurrency limit.</param>
/// <param name="RateCount">The most starts per key in any <paramref name="RatePeriod"/>; null for no rate limit.</param>
/// <param name="RatePeriod">The sliding window of <paramref name="RateCount"/>.</param>
public sealed record LimitDefinition(string Name, int? MaxRunning, int? RateCount, TimeSpan? RatePeriod)
{
    /// <summary>The separator between the limit's name and the partition value in a limit key.</summary>
    public const char KeySeparator = ':';

    /// <summary>Whether the definition has a rate limit.</summary>
    public bool HasRate => RateCount is not null && RatePeriod is not null;
}

/// <summary>Parameters of <see cref="IJobStore.LimitsListAsync"/>.</summary>
/// <param name="Limits">The configured limits to report.</param>
public sealed record LimitsListParams(IReadOnlyList<LimitDefinition> Limits);

/// <summary>Parameters of <see cref="IJobStore.LimitStartsPurgeAsync"/>.</summary>
/// <param name="OlderThan">Start records older than the store's now minus this are deleted; the longest rate window configured (zero when no limit has a rate).</param>
/// <param name="Limit">The most records to delete in one call, at least 1.</param>
public sealed record LimitStartsPurgeParams(TimeSpan OlderThan, int Limit);

/// <summary>The state of one partition (key) of a limit.</summary>
/// <param name="Limit">The limit's name.</param>
/// <param name="Key">The limit key: the name, or the name, <c>:</c> and the partition value.</param>
/// <param name="Running">Its jobs running now.</param>
/// <param name="Waiting">Its jobs ready to run (pending and due) that have not started.</param>
/// <param name="StartsInWindow">Its starts in the current rate window; 0 without a rate limit.</param>
public sealed record LimitKeyStatus(string Limit, string Key, int Running, int Waiting, int StartsInWindow)
{
    /// <summary>The partition value; null for an unpartitioned limit.</summary>
    public string? Partition => Key.Length > Limit.Length ? Key[(Limit.Length + 1)..] : null;
}
