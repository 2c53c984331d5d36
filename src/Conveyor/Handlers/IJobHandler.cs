namespace Conveyor;

/// <summary>
/// Runs jobs of one type. A new instance is created in a fresh DI scope for every attempt, so it may take
/// scoped services (a DbContext, an HTTP client) in its constructor.
/// </summary>
/// <typeparam name="TPayload">The job type's payload, deserialised from the stored JSON.</typeparam>
/// <remarks>
/// Return normally to succeed. Throw <see cref="PermanentJobException"/> when retrying cannot help; any other
/// exception is transient and the job is retried by its policy. Observe the cancellation token: it
/// fires when the job is cancelled, the host shuts down, the attempt times out or the lease was lost.
/// Execution is at least once: a handler may run again after a crash, so make its effects idempotent.
/// </remarks>
public interface IJobHandler<TPayload>
{
    /// <summary>Runs one attempt of the job.</summary>
    Task HandleAsync(JobContext<TPayload> job, CancellationToken cancellationToken);
}
