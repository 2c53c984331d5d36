namespace Conveyor;

/// <summary>A queue's current load, counted by the store.</summary>
/// <param name="Name">The queue's name.</param>
/// <param name="Pending">Jobs ready to run now.</param>
/// <param name="Scheduled">Jobs waiting for a future run time (including retry back-offs).</param>
/// <param name="Running">Jobs a worker holds.</param>
/// <param name="AwaitingInput">Jobs suspended until a person answers.</param>
/// <param name="Failed">Jobs in the queue's dead-letter queue.</param>
/// <param name="OldestPendingAge">How long the longest-ready pending job has been ready; null when none is.</param>
/// <param name="Paused">True when no job is claimed from the queue.</param>
/// <param name="Stuck">Running jobs whose lease already expired (their worker died or stalled; the reaper will recover them).</param>
/// <param name="PausedBy">While paused: who paused it, if the pause named someone.</param>
/// <param name="PausedAt">While paused: when it was paused, by the store's clock.</param>
public sealed record QueueInfo(string Name, long Pending, long Scheduled, long Running, long AwaitingInput, long Failed, TimeSpan? OldestPendingAge, bool Paused, long Stuck,
    string? PausedBy = null, DateTimeOffset? PausedAt = null);

/// <summary>Counts and durations over the jobs a store holds.</summary>
/// <param name="States">Jobs by state; every state is present.</param>
/// <param name="Kinds">Per job type, the same counts and its durations; only types that have jobs.</param>
/// <param name="Stuck">Running jobs whose lease already expired (their worker died or stalled; the reaper will recover them).</param>
/// <param name="Durations">Run time (start to finish) of jobs that succeeded within the window, all types together.</param>
public sealed record JobStats(IReadOnlyDictionary<JobState, long> States, IReadOnlyList<KindStats> Kinds, long Stuck, DurationStats Durations);

/// <summary>Counts and durations of one job type.</summary>
/// <param name="Kind">The job type.</param>
/// <param name="States">Its jobs by state; only states that have jobs.</param>
/// <param name="Durations">Run time of its jobs that succeeded within the window.</param>
public sealed record KindStats(string Kind, IReadOnlyDictionary<JobState, long> States, DurationStats Durations);

/// <summary>Run times (started to finished, of the final attempt) of succeeded jobs.</summary>
/// <param name="Count">How many jobs were measured.</param>
/// <param name="Average">The mean; null when none was measured.</param>
/// <param name="P95">The 95th percentile (nearest rank); null when none was measured.</param>
public sealed record DurationStats(long Count, TimeSpan? Average, TimeSpan? P95);
