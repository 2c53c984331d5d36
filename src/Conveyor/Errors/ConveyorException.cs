namespace Conveyor;

/// <summary>The base of every error Conveyor raises on purpose.</summary>
public class ConveyorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConveyorException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ConveyorException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A submission was refused because something in it is invalid; nothing was stored.</summary>
public sealed class JobValidationException : ConveyorException
{
    /// <summary>Creates the exception for one invalid field.</summary>
    public JobValidationException(string field, string reason)
        : base($"{field}: {reason}") => (Field, Reason) = (field, reason);

    /// <summary>The field at fault (for example <c>maxAttempts</c>, or <c>jobs[3].payload</c> in a batch).</summary>
    public string Field { get; }

    /// <summary>Why it is invalid.</summary>
    public string Reason { get; }
}

/// <summary>A bounded queue is full; nothing was stored. Try again after <see cref="RetryAfter"/>.</summary>
public sealed class QueueFullException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    public QueueFullException(string queue, int maxWaiting, TimeSpan retryAfter)
        : base($"Queue '{queue}' is full ({maxWaiting} jobs waiting); retry after {retryAfter.TotalSeconds:0.###} s.")
        => (Queue, MaxWaiting, RetryAfter) = (queue, maxWaiting, retryAfter);

    /// <summary>The full queue.</summary>
    public string Queue { get; }

    /// <summary>Its bound.</summary>
    public int MaxWaiting { get; }

    /// <summary>How long the submitter should wait before trying again.</summary>
    public TimeSpan RetryAfter { get; }
}

/// <summary>
/// A tenant already has as many waiting jobs as its bound allows (<see cref="ConveyorOptions.MaxWaitingPerTenant"/>);
/// nothing was stored. Try again after <see cref="RetryAfter"/>.
/// </summary>
public sealed class TenantFullException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="tenant">The tenant at its bound; null (or empty) for the default tenant.</param>
    /// <param name="maxWaiting">Its bound.</param>
    /// <param name="retryAfter">How long the submitter should wait before trying again.</param>
    public TenantFullException(string? tenant, int maxWaiting, TimeSpan retryAfter)
        : base($"{(string.IsNullOrEmpty(tenant) ? "The default tenant" : $"Tenant '{tenant}'")} already has its limit of {maxWaiting} waiting jobs; retry after {retryAfter.TotalSeconds:0.###} s.")
        => (Tenant, MaxWaiting, RetryAfter) = (string.IsNullOrEmpty(tenant) ? null : tenant, maxWaiting, retryAfter);

    /// <summary>The tenant at its bound; null for the default tenant.</summary>
    public string? Tenant { get; }

    /// <summary>Its bound: the most jobs it may have waiting.</summary>
    public int MaxWaiting { get; }

    /// <summary>How long the submitter should wait before trying again.</summary>
    public TimeSpan RetryAfter { get; }
}

/// <summary>An idempotency key was reused with a different job kind or payload; nothing was stored.</summary>
public sealed class IdempotencyConflictException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    public IdempotencyConflictException(string idempotencyKey, long existingJobId)
        : base($"Idempotency key '{idempotencyKey}' already belongs to job {existingJobId} with a different kind or payload.")
        => (IdempotencyKey, ExistingJobId) = (idempotencyKey, existingJobId);

    /// <summary>The reused key.</summary>
    public string IdempotencyKey { get; }

    /// <summary>The job that owns the key.</summary>
    public long ExistingJobId { get; }
}

/// <summary>
/// Thrown by a handler to say the job cannot succeed by trying again (bad input, a missing record): the job
/// is dead-lettered at once instead of retried.
/// </summary>
public class PermanentJobException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    public PermanentJobException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public PermanentJobException(string message, Exception innerException) : base(message, innerException) { }
}
