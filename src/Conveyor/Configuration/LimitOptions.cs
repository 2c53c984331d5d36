using Conveyor.Storage;

namespace Conveyor;

/// <summary>
/// A cluster-wide throttle on one job type or one queue: at most <see cref="MaxRunning"/> of its jobs running at
/// once across every node, and/or at most <see cref="RateCount"/> starts in any <see cref="RatePeriod"/> (a sliding
/// window), either for all of them together or per partition (<see cref="PartitionByTenant"/>,
/// <see cref="PartitionByPayload"/>). Enforced inside the claim: a throttled job is never claimed and put back.
/// </summary>
/// <remarks>
/// A job is governed by at most one limit: its job type's when one names the type, else its queue's. The key
/// (name and partition) is stored on the job at enqueue; the numbers are not, so a redeploy with new numbers
/// applies to jobs already queued, and a job whose limit is no longer configured runs unthrottled.
/// </remarks>
public sealed class LimitOptions
{
    internal LimitOptions(string name) => Name = name;

    /// <summary>The limit's name: 1 to 64 characters of a–z, 0–9, '.', '_' or '-' (shown in the API, CLI and metrics).</summary>
    public string Name { get; }

    /// <summary>The job type it governs, set by <see cref="ForJobType"/>. Default null.</summary>
    public string? JobType { get; private set; }

    /// <summary>The queue it governs, set by <see cref="ForQueue"/>. Default null.</summary>
    public string? Queue { get; private set; }

    /// <summary>The most of its jobs (per partition) running at once across all nodes. Default null: no concurrency limit; at least 1 when set.</summary>
    public int? MaxRunning { get; set; }

    /// <summary>The most starts (per partition) in any <see cref="RatePeriod"/>, set by <see cref="Rate"/>. Default null: no rate limit.</summary>
    public int? RateCount { get; private set; }

    /// <summary>The sliding window of <see cref="RateCount"/>, set by <see cref="Rate"/>. Default null.</summary>
    public TimeSpan? RatePeriod { get; private set; }

    /// <summary>How its jobs are partitioned. Default <see cref="LimitPartition.None"/>: one count for all of them.</summary>
    public LimitPartition Partition { get; private set; }

    /// <summary>The top-level payload property whose value partitions the limit, with <see cref="LimitPartition.Payload"/>. Default null.</summary>
    public string? PayloadProperty { get; private set; }

    /// <summary>Governs the jobs of one job type (by kind), in whatever queue they run.</summary>
    public LimitOptions ForJobType(string kind)
    {
        JobType = kind ?? throw new ArgumentNullException(nameof(kind));
        return this;
    }

    /// <summary>Governs the jobs of one queue that no job-type limit governs.</summary>
    public LimitOptions ForQueue(string queue)
    {
        Queue = queue ?? throw new ArgumentNullException(nameof(queue));
        return this;
    }

    /// <summary>At most <paramref name="count"/> starts (at least 1) in any window of <paramref name="period"/> (greater than zero).</summary>
    public LimitOptions Rate(int count, TimeSpan period)
    {
        (RateCount, RatePeriod) = (count, period);
        return this;
    }

    /// <summary>Counts each tenant (the submitting principal's; the default tenant is one tenant) separately.</summary>
    public LimitOptions PartitionByTenant()
    {
        (Partition, PayloadProperty) = (LimitPartition.Tenant, null);
        return this;
    }

    /// <summary>
    /// Counts each value of the payload's top-level property <paramref name="property"/> (as serialised, for example
    /// <c>accountId</c>) separately; a string, number or boolean value is taken as text. A job whose payload lacks
    /// the property, or has another kind of value there, is refused at enqueue.
    /// </summary>
    public LimitOptions PartitionByPayload(string property)
    {
        (Partition, PayloadProperty) = (LimitPartition.Payload, property ?? throw new ArgumentNullException(nameof(property)));
        return this;
    }

    /// <summary>The numbers the claim enforces.</summary>
    internal LimitDefinition ToDefinition() => new(Name, MaxRunning, RateCount, RatePeriod);
}

/// <summary>How a limit splits its jobs into separately counted partitions.</summary>
public enum LimitPartition
{
    /// <summary>One count for all the limit's jobs.</summary>
    None,

    /// <summary>One count per tenant.</summary>
    Tenant,

    /// <summary>One count per value of a payload property.</summary>
    Payload,
}
