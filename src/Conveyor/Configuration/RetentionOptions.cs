namespace Conveyor;

/// <summary>
/// How long finished jobs, with their history, are kept before they are purged. Each terminal state has its own
/// age, counted from the job's finish (<see cref="JobInfo.FinishedAt"/>); a null age keeps that state's jobs
/// forever. One worker process at a time (the holder of the <c>retention</c> leadership) purges, every
/// <see cref="Interval"/>, in batches of <see cref="BatchSize"/>, each its own short transaction. Purging a job
/// frees its idempotency key.
/// </summary>
/// <remarks>
/// "Keep forever" is written as null. <see cref="Timeout.InfiniteTimeSpan"/> is not a synonym: it is negative and
/// fails validation. Ages range from zero (purge at the next round after the job finishes) to
/// <see cref="MaxAge"/>. Retention runs in worker processes (<see cref="ConveyorOptions.RunWorkers"/>); when all
/// three ages are null it does not run at all.
/// </remarks>
public sealed class RetentionOptions
{
    /// <summary>The longest age that can be set: 36,500 days (about 100 years). Longer means forever: use null.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(36_500);

    /// <summary>How long succeeded jobs are kept after they finish. Default 1 day; null keeps them forever; 0 to <see cref="MaxAge"/>.</summary>
    public TimeSpan? SucceededFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long cancelled jobs are kept after they finish. Default 1 day; null keeps them forever; 0 to <see cref="MaxAge"/>.</summary>
    public TimeSpan? CancelledFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long failed (dead-lettered) jobs are kept after they finish. Default 7 days, longer than the others so
    /// that dead letters stay for inspection and requeue; null keeps them forever; 0 to <see cref="MaxAge"/>. A
    /// requeued job is no longer finished and is not purged.
    /// </summary>
    public TimeSpan? FailedFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How often a worker process tries to become the retention leader and, when it is, purges. Default 1 minute;
    /// greater than zero, at most one day. The leadership lasts three intervals unless renewed, so another process
    /// takes over within three intervals after the leader dies.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most jobs one purge transaction deletes (with their history). Default 1,000; 1 to 10,000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>True when at least one state has an age, so there is something to purge.</summary>
    internal bool Enabled => SucceededFor is not null || CancelledFor is not null || FailedFor is not null;
}
