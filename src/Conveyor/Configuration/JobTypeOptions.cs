namespace Conveyor;

/// <summary>A registered job type: its stable name, payload and handler, and the policies its jobs follow.</summary>
public sealed class JobTypeOptions
{
    internal JobTypeOptions(string kind, Type payloadType, Type handlerType, RetryOptions retry)
        => (Kind, PayloadType, HandlerType, Retry) = (kind, payloadType, handlerType, retry);

    /// <summary>The stable name stored with each job (for example <c>report.generate</c>); renaming it strands queued jobs.</summary>
    public string Kind { get; }

    /// <summary>The payload type, serialised as JSON.</summary>
    public Type PayloadType { get; }

    /// <summary>The <see cref="IJobHandler{TPayload}"/> implementation, created in a fresh DI scope per job.</summary>
    public Type HandlerType { get; }

    /// <summary>The queue its jobs go to. Default null: the first matching route, else the default queue.</summary>
    public string? Queue { get; set; }

    /// <summary>The priority of its jobs unless a submission says otherwise. Default <see cref="JobPriority.Normal"/>.</summary>
    public JobPriority Priority { get; set; } = JobPriority.Normal;

    /// <summary>Its retry policy. Default: a copy of <see cref="ConveyorOptions.DefaultRetry"/> taken when the type is added.</summary>
    public RetryOptions Retry { get; }

    /// <summary>How long one attempt may run before its handler is cancelled and the attempt fails as transient. Default null: no limit.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>How many of its jobs sharing a concurrency key may be active at once. Default 1; 1 to 1000.</summary>
    public int ConcurrencyLimit { get; set; } = 1;

    /// <summary>
    /// How long a submission of this type blocks its duplicates (<see cref="UniqueFor"/>). Default null: jobs of this type
    /// are not unique. Greater than zero and at most <see cref="MaxUniquePeriod"/>, and no longer than the retention of
    /// succeeded jobs (a purged job blocks nothing).
    /// </summary>
    public TimeSpan? UniquePeriod { get; private set; }

    /// <summary>
    /// The top-level properties of the serialised payload whose values make a job unique (<see cref="UniqueFor"/>).
    /// Default empty: with a <see cref="UniquePeriod"/>, one job of the type per tenant and period.
    /// </summary>
    public IReadOnlyList<string> UniqueFields { get; private set; } = [];

    /// <summary>The longest <see cref="UniquePeriod"/>: 30 days.</summary>
    public static TimeSpan MaxUniquePeriod { get; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Makes jobs of this type unique for <paramref name="period"/>: a submission whose payload has the same values in
    /// <paramref name="fields"/> as a job of the same tenant created within the last <paramref name="period"/> (by the
    /// store's clock, sliding) that is not cancelled or failed inserts nothing and returns that job, as an idempotent
    /// replay does (<see cref="EnqueueResult.AlreadyExisted"/>). For example one account sync per account per five
    /// minutes: <c>t =&gt; t.UniqueFor(TimeSpan.FromMinutes(5), "accountId")</c>.
    /// </summary>
    /// <param name="period">How long a job blocks its duplicates, from its creation. Checked at start-up.</param>
    /// <param name="fields">
    /// Names of top-level properties of the payload as serialised (after the serializer's naming policy, so
    /// <c>accountId</c> for a C# <c>AccountId</c> with the default web options); none: unique per type. A payload
    /// without one of them is refused at enqueue. Checked at start-up: not empty, no duplicates.
    /// </param>
    /// <returns>These options, for chaining.</returns>
    public JobTypeOptions UniqueFor(TimeSpan period, params string[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        UniquePeriod = period;
        UniqueFields = [.. fields];
        return this;
    }
}
