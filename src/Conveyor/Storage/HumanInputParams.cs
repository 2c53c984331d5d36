namespace Conveyor.Storage;

/// <summary>A finished step of a job: its name and its result, stored once.</summary>
/// <param name="Name">The step's name, unique per job.</param>
/// <param name="ResultJson">The step's result as JSON text (<c>null</c> for a step without one).</param>
/// <param name="Attempt">The attempt that finished it.</param>
/// <param name="CompletedAt">When it was stored, by the store's clock.</param>
public sealed record JobStep(string Name, string ResultJson, int Attempt, DateTimeOffset CompletedAt);

/// <summary>Parameters of <see cref="IJobStore.JobStepSaveAsync"/>.</summary>
/// <param name="Lease">The lease the write is fenced by.</param>
/// <param name="Name">The step's name.</param>
/// <param name="ResultJson">Its result as JSON text.</param>
public sealed record JobStepSaveParams(JobLease Lease, string Name, string ResultJson);

/// <summary>Parameters of <see cref="IJobStore.JobSuspendAsync"/>: the question a running attempt asks, and the lease it holds.</summary>
public sealed record JobSuspendParams
{
    /// <summary>The lease the write is fenced by.</summary>
    public required JobLease Lease { get; init; }

    /// <summary>The key the handler asks under; one interaction per job and key.</summary>
    public required string Key { get; init; }

    /// <summary>The prompt as JSON text (<see cref="InteractionPrompt.ToJson"/>).</summary>
    public required string PromptJson { get; init; }

    /// <summary>How long each asking lasts; the deadline is the store's now plus this.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>What the time-out does.</summary>
    public required InteractionTimeoutPolicy TimeoutPolicy { get; init; }

    /// <summary>Users who may answer by name.</summary>
    public IReadOnlyList<string> AllowedUsers { get; init; } = [];

    /// <summary>Roles whose holders may answer.</summary>
    public IReadOnlyList<string> AllowedRoles { get; init; } = [];

    /// <summary>Who asks (the worker id), recorded in the history.</summary>
    public string? Actor { get; init; }
}

/// <summary>How <see cref="IJobStore.JobSuspendAsync"/> ended.</summary>
public enum JobSuspendOutcome
{
    /// <summary>The interaction is pending and the job awaits input; the attempt was not charged.</summary>
    Suspended = 0,

    /// <summary>The job's cancellation had been requested: it is cancelled instead (and so is the interaction).</summary>
    Cancelled = 1,

    /// <summary>The lease was stale: nothing changed.</summary>
    LeaseLost = 2,
}

/// <summary>Parameters of <see cref="IJobStore.InteractionAnswerAsync"/>: an answer already validated and authorised by the caller.</summary>
/// <param name="InteractionId">The interaction.</param>
/// <param name="AnswerJson">The answer as JSON text.</param>
/// <param name="Actor">Who answers, recorded on the interaction and in the history.</param>
public sealed record InteractionAnswerParams(long InteractionId, string AnswerJson, string? Actor);

/// <summary>Parameters of <see cref="IJobStore.InteractionsExpireAsync"/>.</summary>
/// <param name="Limit">The most interactions to time out in one call.</param>
public sealed record InteractionsExpireParams(int Limit);

/// <summary>An interaction whose deadline passed, and what its policy did.</summary>
/// <param name="InteractionId">The interaction.</param>
/// <param name="JobId">Its job.</param>
/// <param name="Key">Its key.</param>
/// <param name="State">Its new state: answered (default used), pending (asked again) or expired (the job failed).</param>
/// <param name="JobState">Its job's new state: pending, awaiting input or failed.</param>
public sealed record ExpiredInteraction(long InteractionId, long JobId, string Key, InteractionState State, JobState JobState);

/// <summary>The opaque paging cursor of interaction listings: it names the last interaction of the previous page.</summary>
public static class InteractionCursor
{
    private const string Prefix = "i";

    /// <summary>The cursor after the interaction with this id.</summary>
    public static string Encode(long lastId) => IdCursor.Encode(Prefix, lastId);

    /// <summary>Reads a cursor; false when it is not one <see cref="Encode"/> made.</summary>
    public static bool TryDecode(string cursor, out long lastId) => IdCursor.TryDecode(Prefix, cursor, out lastId);

    /// <summary>The page of a listing that fetched up to <paramref name="limit"/> + 1 interactions newest first.</summary>
    public static InteractionPage Page(List<InteractionInfo> fetched, int limit)
    {
        ArgumentNullException.ThrowIfNull(fetched);
        if (fetched.Count <= limit)
            return new InteractionPage(fetched, null);
        fetched.RemoveRange(limit, fetched.Count - limit);
        return new InteractionPage(fetched, Encode(fetched[^1].Id));
    }
}
