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
}
