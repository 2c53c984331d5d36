using System.Text.Json;

namespace Conveyor;

/// <summary>Who may answer a question and what happens when nobody does in time.</summary>
/// <remarks>
/// With neither <see cref="AllowedUsers"/> nor <see cref="AllowedRoles"/> set, only the user who submitted the job
/// may answer. With either set, exactly the users named and the holders of the roles named may answer (add the
/// submitter to <see cref="AllowedUsers"/> to keep them). Only principals of the job's tenant ever may.
/// </remarks>
public sealed record AskOptions
{
    /// <summary>Users (ids) who may answer; null or empty for none by name.</summary>
    public IReadOnlyList<string>? AllowedUsers { get; init; }

    /// <summary>Roles whose holders may answer; null or empty for none by role.</summary>
    public IReadOnlyList<string>? AllowedRoles { get; init; }

    /// <summary>What happens when the time-out passes without an answer. Default <see cref="InteractionTimeoutPolicy.Fail"/>.</summary>
    public InteractionTimeoutPolicy OnTimeout { get; init; } = InteractionTimeoutPolicy.Fail;
}

/// <summary>What a time-out does to an unanswered question.</summary>
public enum InteractionTimeoutAction
{
    /// <summary>The job fails (dead-lettered); the interaction is expired.</summary>
    Fail = 0,

    /// <summary>The default answer is recorded (answered by <c>timeout</c>) and the job runs on.</summary>
    UseDefault = 1,

    /// <summary>The question is asked again with a new deadline, up to a maximum; after that the job fails.</summary>
    ReAsk = 2,
}

/// <summary>The time-out policy of a question: fail, continue with a default answer, or re-ask a limited number of times.</summary>
/// <param name="Action">What the time-out does.</param>
/// <param name="DefaultAnswerJson">The answer recorded by <see cref="InteractionTimeoutAction.UseDefault"/> (JSON text).</param>
/// <param name="MaxReAsks">How often <see cref="InteractionTimeoutAction.ReAsk"/> asks again before the job fails.</param>
public sealed record InteractionTimeoutPolicy(InteractionTimeoutAction Action, string? DefaultAnswerJson = null, int MaxReAsks = 0)
{
    /// <summary>Fail the job when the time-out passes.</summary>
    public static InteractionTimeoutPolicy Fail { get; } = new(InteractionTimeoutAction.Fail);

    /// <summary>Answer with <paramref name="defaultAnswerJson"/> (JSON text of the answer object) when the time-out passes.</summary>
    public static InteractionTimeoutPolicy UseDefault(string defaultAnswerJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultAnswerJson);
        using var _ = JsonDocument.Parse(defaultAnswerJson);
        return new(InteractionTimeoutAction.UseDefault, defaultAnswerJson);
    }

    /// <summary>Answer with <paramref name="defaultAnswer"/>, serialised with the web defaults, when the time-out passes.</summary>
    public static InteractionTimeoutPolicy UseDefault<TAnswer>(TAnswer defaultAnswer) =>
        UseDefault(JsonSerializer.Serialize(defaultAnswer, InteractionPrompt.JsonOptions));

    /// <summary>Ask again with a fresh deadline, up to <paramref name="maxTimes"/> times; then fail the job.</summary>
    public static InteractionTimeoutPolicy ReAsk(int maxTimes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTimes, 1);
        return new(InteractionTimeoutAction.ReAsk, MaxReAsks: maxTimes);
    }
}
