using System.Text.Json;
using Conveyor.Storage;

namespace Conveyor;

public abstract partial class JobContext
{
    private const int MaxKeyLength = 255;
    private static readonly TimeSpan MaxAskTimeout = TimeSpan.FromDays(365);

    /// <summary>This attempt's finished steps by name (result JSON); read from the store on the first step, once per attempt.</summary>
    private Dictionary<string, string>? _steps;

    /// <summary>
    /// Runs a phase of the job once: the first time it finishes, its completion is stored with the job (fenced by this
    /// attempt's lease); when the job runs again (a retry, a recovered lease, a resume after an answer) the call returns
    /// at once without running <paramref name="step"/>. While it runs, the job's progress phase is <paramref name="name"/>.
    /// </summary>
    /// <inheritdoc cref="StepAsync{T}(string, Func{CancellationToken, Task{T}})" path="/exception" />
    public async Task StepAsync(string name, Func<CancellationToken, Task> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        await StepAsync<object?>(name, async ct =>
        {
            await step(ct);
            return null;
        });
    }

    /// <summary>
    /// Runs a phase of the job once and stores its result (as JSON) with the job, fenced by this attempt's lease; when
    /// the job runs again, returns the stored result without running <paramref name="step"/>. While it runs, the job's
    /// progress phase is <paramref name="name"/> (the percentage stays as reported).
    /// </summary>
    /// <remarks>
    /// Give each step a stable name and keep the order of steps deterministic: the name is what a replay matches.
    /// A step that fails (throws) stores nothing and runs again on the next attempt. The step's effects outside the
    /// store are at least once: a crash after the effect and before the result is stored runs it again.
    /// </remarks>
    /// <exception cref="OperationCanceledException">The lease was lost; the handler must stop.</exception>
    /// <exception cref="InvalidOperationException">The attempt already completed in the handler's transaction.</exception>
    public async Task<T> StepAsync<T>(string name, Func<CancellationToken, Task<T>> step)
    {
        CheckKey(name, nameof(name));
        ArgumentNullException.ThrowIfNull(step);
        ThrowIfCompleted();
        _steps ??= (await _store.JobStepsListAsync(JobId, CancellationToken.None)).ToDictionary(s => s.Name, s => s.ResultJson, StringComparer.Ordinal);
        if (_steps.TryGetValue(name, out var stored))
            return Deserialize<T>(stored, $"The stored result of step '{name}'");

        var phased = await _store.JobProgressSetAsync(new JobProgressSetParams(_run.Lease, new JobProgress(null, name, null)) { KeepPercent = true }, CancellationToken.None);
        ThrowIfLost(phased);
        var result = await step(CancellationToken);
        var json = JsonSerializer.Serialize(result, _json);
        var saved = await _store.JobStepSaveAsync(new JobStepSaveParams(_run.Lease, name, json), CancellationToken.None);
        ThrowIfLost(saved);
        _steps[name] = json;
        return result;
    }

    /// <summary>
    /// Asks a person and returns their answer. When the job already has an answer under <paramref name="key"/>, returns
    /// it at once. Otherwise records the question (an interaction, pending until answered or until
    /// <paramref name="timeout"/> passes), suspends the job (awaiting input, the worker's slot freed, the attempt not
    /// charged) and ends this attempt: the call does not return. When the answer comes, the job runs again from the
    /// start, and this same call returns the answer.
    /// </summary>
    /// <typeparam name="TAnswer">What the answer object (a property per question id) deserialises into.</typeparam>
    /// <param name="key">The question's key, stable across runs; one interaction per job and key.</param>
    /// <param name="prompt">What to ask.</param>
    /// <param name="timeout">How long to wait for an answer before <see cref="AskOptions.OnTimeout"/> applies.</param>
    /// <param name="options">Who may answer and what the time-out does; by default only the submitter, and the job fails.</param>
    /// <exception cref="OperationCanceledException">The lease was lost; the handler must stop.</exception>
    /// <exception cref="PermanentJobException">The prompt is malformed, or the stored answer does not deserialise into <typeparamref name="TAnswer"/>.</exception>
    public async Task<TAnswer> AskAsync<TAnswer>(string key, InteractionPrompt prompt, TimeSpan timeout, AskOptions? options = null)
    {
        CheckKey(key, nameof(key));
        ArgumentNullException.ThrowIfNull(prompt);
        if (timeout <= TimeSpan.Zero || timeout > MaxAskTimeout)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"A question's time-out must be above zero and at most {MaxAskTimeout.TotalDays:0} days.");
        try
        {
            prompt.Validate();
        }
        catch (JobValidationException e)
        {
            throw new PermanentJobException($"The prompt of question '{key}' is malformed: {e.Message}", e);
        }
        ThrowIfCompleted();
        options ??= new AskOptions();

        var existing = (await _store.InteractionsListAsync(new InteractionQuery { JobId = JobId, Key = key, Limit = 1 }, CancellationToken.None)).Interactions;
        if (existing is [{ State: InteractionState.Answered, AnswerJson: { } answer }])
            return Deserialize<TAnswer>(answer, $"The answer to question '{key}'");

        var outcome = await _store.JobSuspendAsync(new JobSuspendParams
        {
            Lease = _run.Lease,
            Key = key,
            PromptJson = prompt.ToJson(),
            Timeout = timeout,
            TimeoutPolicy = options.OnTimeout,
            AllowedUsers = options.AllowedUsers ?? [],
            AllowedRoles = options.AllowedRoles ?? [],
            Actor = _run.WorkerId,
        }, CancellationToken.None);
        if (outcome == JobSuspendOutcome.LeaseLost)
            throw LeaseLost();
        _run.MarkSuspended();
        throw new JobSuspendedException(JobId, key, outcome == JobSuspendOutcome.Cancelled);
    }

    private T Deserialize<T>(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, _json)!;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new PermanentJobException($"{what} does not deserialise into {typeof(T).Name}: {e.Message}", e);
        }
    }

    private static void CheckKey(string key, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(key, name);
        if (key.Length > MaxKeyLength)
            throw new ArgumentOutOfRangeException(name, key.Length, $"A step name or question key is at most {MaxKeyLength} characters.");
    }
}

/// <summary>
/// Ends an attempt whose job now awaits an answer (or was cancelled as it asked). The worker recognises it: it is not a
/// failure, it is never retried or logged as an error, and nothing more is written for the attempt.
/// </summary>
public sealed class JobSuspendedException : OperationCanceledException
{
    internal JobSuspendedException(long jobId, string key, bool cancelled)
        : base(cancelled
            ? $"Job {jobId} was cancelled as it asked '{key}'."
            : $"Job {jobId} awaits an answer to '{key}'; it runs again once answered. (Do not catch this exception.)")
        => (JobId, Key) = (jobId, key);

    /// <summary>The suspended job.</summary>
    public long JobId { get; }

    /// <summary>The question's key.</summary>
    public string Key { get; }
}
