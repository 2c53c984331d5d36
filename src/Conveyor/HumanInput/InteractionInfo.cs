namespace Conveyor;

/// <summary>Where a question is in its life.</summary>
public enum InteractionState
{
    /// <summary>Waiting for an answer; its job is awaiting input.</summary>
    Pending = 1,

    /// <summary>Answered by a person, or by its default on time-out.</summary>
    Answered = 2,

    /// <summary>Its time-out passed and its job failed.</summary>
    Expired = 3,

    /// <summary>Its job was cancelled while it waited.</summary>
    Cancelled = 4,
}

/// <summary>Helpers on <see cref="InteractionState"/>.</summary>
public static class InteractionStateExtensions
{
    /// <summary>The wire name of the state (<c>pending</c>, <c>answered</c>, <c>expired</c>, <c>cancelled</c>).</summary>
    public static string ToWireName(this InteractionState state) => state switch
    {
        InteractionState.Pending => "pending",
        InteractionState.Answered => "answered",
        InteractionState.Expired => "expired",
        InteractionState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown interaction state."),
    };
}

/// <summary>A question a job asked (one per job and key), with its answer once it has one.</summary>
public sealed record InteractionInfo
{
    /// <summary>The interaction's id, unique in its store.</summary>
    public required long Id { get; init; }

    /// <summary>The job that asked.</summary>
    public required long JobId { get; init; }

    /// <summary>The job's kind.</summary>
    public required string JobKind { get; init; }

    /// <summary>The key the handler asked under; unique per job.</summary>
    public required string Key { get; init; }

    /// <summary>Where the question is in its life.</summary>
    public required InteractionState State { get; init; }

    /// <summary>What is asked.</summary>
    public required InteractionPrompt Prompt { get; init; }

    /// <summary>The answer as JSON text, once answered.</summary>
    public string? AnswerJson { get; init; }

    /// <summary>The job's tenant (null for the default tenant): only its principals may answer, and readers of other tenants must not see it.</summary>
    public string? Tenant { get; init; }

    /// <summary>The user who submitted the job: by default the only one who may answer.</summary>
    public string? User { get; init; }

    /// <summary>Users who may answer by name.</summary>
    public IReadOnlyList<string> AllowedUsers { get; init; } = [];

    /// <summary>Roles whose holders may answer.</summary>
    public IReadOnlyList<string> AllowedRoles { get; init; } = [];

    /// <summary>What happens when the deadline passes.</summary>
    public required InteractionTimeoutPolicy TimeoutPolicy { get; init; }

    /// <summary>How long each asking lasts.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>How many times the question was asked again after a time-out.</summary>
    public int Escalations { get; init; }

    /// <summary>When it was (first) asked, by the store's clock.</summary>
    public required DateTimeOffset AskedAt { get; init; }

    /// <summary>When the current asking times out, by the store's clock.</summary>
    public required DateTimeOffset Deadline { get; init; }

    /// <summary>When it was answered.</summary>
    public DateTimeOffset? AnsweredAt { get; init; }

    /// <summary>Who answered: a user id, or <c>timeout</c> for a default answer.</summary>
    public string? AnsweredBy { get; init; }

    /// <summary>
    /// True when <paramref name="principal"/> may answer: a principal of the job's tenant who is named in
    /// <see cref="AllowedUsers"/> or holds one of <see cref="AllowedRoles"/>, or, when neither is set, the job's submitter.
    /// </summary>
    public bool MayAnswer(JobPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if ((principal.Tenant ?? "") != (Tenant ?? ""))
            return false;
        if (AllowedUsers.Count == 0 && AllowedRoles.Count == 0)
            return principal.User is not null && principal.User == User;
        return (principal.User is not null && AllowedUsers.Contains(principal.User, StringComparer.Ordinal))
            || principal.Roles.Any(r => AllowedRoles.Contains(r, StringComparer.Ordinal));
    }
}

/// <summary>A filter over interactions, newest first, one page at a time.</summary>
public sealed record InteractionQuery
{
    /// <summary>Only interactions in this state (an inbox asks for <see cref="InteractionState.Pending"/>).</summary>
    public InteractionState? State { get; init; }

    /// <summary>Only this job's interactions.</summary>
    public long? JobId { get; init; }

    /// <summary>Only the interaction with this key (with <see cref="JobId"/>).</summary>
    public string? Key { get; init; }

    /// <summary>Only jobs of this tenant; <c>""</c> is the default tenant, null any tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Only jobs submitted by this user.</summary>
    public string? User { get; init; }

    /// <summary>The page size, 1 to 1000. Default 50.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>The cursor of the previous page's <see cref="InteractionPage.NextCursor"/>.</summary>
    public string? Cursor { get; init; }
}

/// <summary>One page of interactions, newest first.</summary>
/// <param name="Interactions">The interactions.</param>
/// <param name="NextCursor">The cursor of the next page, or null when this is the last.</param>
public sealed record InteractionPage(IReadOnlyList<InteractionInfo> Interactions, string? NextCursor);

/// <summary>How an answer was taken.</summary>
public enum InteractionAnswerOutcome
{
    /// <summary>The answer was recorded and the job was put back in its queue.</summary>
    Answered = 0,

    /// <summary>No interaction has that id.</summary>
    NotFound = 1,

    /// <summary>The principal may not answer it (an API answers 403 inside the tenant and 404 across tenants).</summary>
    NotAllowed = 2,

    /// <summary>It was answered already (perhaps by a concurrent answer, or by its default on time-out); nothing changed.</summary>
    AlreadyAnswered = 3,

    /// <summary>It is no longer waiting (expired or cancelled); nothing changed.</summary>
    Closed = 4,
}

/// <summary>The outcome of answering a question.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Interaction">The interaction as it is after the call; null when not found.</param>
public sealed record InteractionAnswerResult(InteractionAnswerOutcome Outcome, InteractionInfo? Interaction);
