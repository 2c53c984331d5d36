using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Conveyor;

public abstract partial class JobContext
{
    /// <summary>The longest snooze: a year, as for a question's time-out.</summary>
    private static readonly TimeSpan MaxSnooze = TimeSpan.FromDays(365);

    /// <summary>
    /// Ends this attempt and runs the job again after <paramref name="delay"/>, without using up an attempt: the job
    /// goes back to its queue due at the store's now plus the delay (reported as scheduled until then), with a
    /// <see cref="JobEventKind.Snoozed"/> event, and <see cref="MaxAttempts"/> counts only the attempts that did not
    /// snooze. Use it when the work cannot go on yet (a rate limit, a resource not ready) and that is no failure.
    /// </summary>
    /// <remarks>
    /// The call does not return: it throws <see cref="JobSnoozedException"/>, which the worker recognises, so it
    /// works from anywhere in the handler. Do not catch it; a handler that does still ends snoozed once it returns or
    /// throws (the last delay asked for wins). A snooze of a job whose cancellation was requested ends it cancelled,
    /// and a snooze after the lease was lost writes nothing. Nothing set with <see cref="SetResult{TResult}"/> or
    /// <see cref="AddArtifact"/> is kept; finished steps are (<c>StepAsync</c>), so the next run skips them.
    /// </remarks>
    /// <param name="delay">How long to wait: zero (due again at once) up to 365 days.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative or longer than 365 days.</exception>
    /// <exception cref="InvalidOperationException">The attempt already completed in the handler's transaction.</exception>
    /// <exception cref="JobSnoozedException">Always, when the arguments are valid: the attempt ends here.</exception>
    [DoesNotReturn]
    public void Snooze(TimeSpan delay)
    {
        if (delay < TimeSpan.Zero || delay > MaxSnooze)
            throw new ArgumentOutOfRangeException(nameof(delay), delay, $"A snooze is from zero to {MaxSnooze.TotalDays:0} days.");
        ThrowIfCompleted();
        _run.Snooze(delay);
        throw new JobSnoozedException(JobId, delay);
    }
}

/// <summary>
/// Ends an attempt whose handler asked to run again later (<see cref="JobContext.Snooze(TimeSpan)"/>). The worker
/// recognises it: it is not a failure, it is never retried or logged as an error, and the attempt is not charged.
/// </summary>
public sealed class JobSnoozedException : OperationCanceledException
{
    internal JobSnoozedException(long jobId, TimeSpan delay)
        : base($"Job {jobId} snoozed for {delay.ToString("c", CultureInfo.InvariantCulture)}; it runs again then. (Do not catch this exception.)")
        => (JobId, Delay) = (jobId, delay);

    /// <summary>The snoozed job.</summary>
    public long JobId { get; }

    /// <summary>How long it waits before it runs again.</summary>
    public TimeSpan Delay { get; }
}
