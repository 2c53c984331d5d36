using Conveyor.Storage;

namespace Conveyor;

/// <summary>A configured limit (cluster-wide throttle) and the state of each of its keys.</summary>
/// <param name="Name">The limit's name.</param>
/// <param name="JobType">The job type it governs, or null when it governs a queue.</param>
/// <param name="Queue">The queue it governs, or null when it governs a job type.</param>
/// <param name="MaxRunning">The most running jobs per key; null for none.</param>
/// <param name="RateCount">The most starts per key in any <paramref name="RatePeriod"/>; null for no rate limit.</param>
/// <param name="RatePeriod">The rate's sliding window.</param>
/// <param name="Partition">How its jobs are partitioned.</param>
/// <param name="PayloadProperty">The payload property that partitions it, with <see cref="LimitPartition.Payload"/>.</param>
/// <param name="Keys">Its keys that have running or ready jobs or starts in the window, ordered by key.</param>
public sealed record LimitInfo(string Name, string? JobType, string? Queue, int? MaxRunning, int? RateCount, TimeSpan? RatePeriod,
    LimitPartition Partition, string? PayloadProperty, IReadOnlyList<LimitKeyStatus> Keys)
{
    /// <summary>Its jobs ready to run that have not started, over all keys.</summary>
    public long Waiting => Keys.Sum(k => (long)k.Waiting);
}
