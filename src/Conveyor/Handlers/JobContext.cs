using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Worker;

namespace Conveyor;

/// <summary>
/// What a handler knows about the attempt it runs and how it reports back: progress, log lines kept with the
/// job, a result and artefacts stored on success. Every write is fenced by the attempt's lease: once the lease
/// is lost, writes are refused and the handler's token fires.
/// </summary>
/// <remarks>
/// A store package may let the handler finish the attempt itself, in the store's own transaction, so that the
/// handler's writes and the job's success commit together (the PostgreSQL store's <c>BeginTransactionAsync</c>).
/// Once that committed, the attempt is over: progress, log, result and artefact calls throw
/// <see cref="InvalidOperationException"/>, and the engine records nothing more, however the handler ends.
/// <para>
/// Handlers are replayed: a job runs again after a retry, a lost lease or an answer to a question. Wrap each phase
/// in <see cref="StepAsync{T}(string, Func{CancellationToken, Task{T}})"/> so that a finished phase is not run
/// again, and ask people with <see cref="AskAsync{TAnswer}(string, InteractionPrompt, TimeSpan, AskOptions?)"/>
/// (see <c>docs/human-in-the-loop.md</c>).
/// </para>
/// </remarks>
public abstract partial class JobContext
{
    private readonly RunningJob _run;
    private readonly IJobStore _store;
    private readonly JsonSerializerOptions _json;
    private readonly List<JobArtifact> _artifacts = [];
    private StoreAttempt? _storeAttempt;

    private protected JobContext(RunningJob run, IJobStore store, JsonSerializerOptions json, IServiceProvider services, CancellationToken cancellationToken)
    {
        _run = run;
        _store = store;
        _json = json;
        Services = services;
        CancellationToken = cancellationToken;
    }

    /// <summary>The job's id.</summary>
    public long JobId => _run.Claim.Id;

    /// <summary>The job type's name.</summary>
    public string Kind => _run.Claim.Kind;

    /// <summary>The queue the job came from.</summary>
    public string Queue => _run.Claim.Queue;

    /// <summary>This attempt's number, starting at 1.</summary>
    public int Attempt => _run.Claim.Attempt;

    /// <summary>The most attempts the job may make.</summary>
    public int MaxAttempts => _run.Claim.MaxAttempts;

    /// <summary>Who submitted the job; the handler acts on their behalf.</summary>
    public JobPrincipal Principal => _run.Claim.Principal;

    /// <summary>When the job was submitted.</summary>
    public DateTimeOffset CreatedAt => _run.Claim.CreatedAt;

    /// <summary>Fires on cancellation, shutdown, time-out or a lost lease.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The attempt's own DI scope.</summary>
    public IServiceProvider Services { get; }

    internal string? ResultJson { get; private set; }

    internal IReadOnlyList<JobArtifact> Artifacts => _artifacts;

    /// <summary>Made on first use: only handlers that complete in a store transaction need it.</summary>
    internal StoreAttempt StoreAttempt => _storeAttempt ??= new StoreAttempt(_run, this, _store);

    /// <summary>Records progress: a percentage (0–100), the phase and a message; each becomes an event in the history.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The percentage is outside 0–100.</exception>
    /// <exception cref="OperationCanceledException">The lease was lost; the handler must stop.</exception>
    /// <exception cref="InvalidOperationException">The attempt already completed in the handler's transaction.</exception>
    public async Task ReportProgressAsync(double? percent, string? phase = null, string? message = null)
    {
        if (percent is { } p && (double.IsNaN(p) || p < 0 || p > 100))
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "Progress is a percentage from 0 to 100.");
        ThrowIfCompleted();
        var applied = await _store.JobProgressSetAsync(new JobProgressSetParams(_run.Lease, new JobProgress(percent, phase, message)), CancellationToken.None);
        ThrowIfLost(applied);
    }

    /// <summary>Appends a line to the job's history.</summary>
    /// <exception cref="OperationCanceledException">The lease was lost; the handler must stop.</exception>
    /// <exception cref="InvalidOperationException">The attempt already completed in the handler's transaction.</exception>
    public async Task LogAsync(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfCompleted();
        var applied = await _store.JobLogAppendAsync(new JobLogAppendParams(_run.Lease, message), CancellationToken.None);
        ThrowIfLost(applied);
    }

    /// <summary>Sets the result stored with the job when this attempt succeeds (serialised as JSON). A later call replaces it.</summary>
    /// <exception cref="InvalidOperationException">The attempt already completed in the handler's transaction.</exception>
    public void SetResult<TResult>(TResult result)
    {
        ThrowIfCompleted();
        ResultJson = JsonSerializer.Serialize(result, _json);
    }

    /// <summary>Records an artefact (a path, a URL, a reference) stored with the job when this attempt succeeds.</summary>
    /// <exception cref="InvalidOperationException">The attempt already completed in the handler's transaction.</exception>
    public void AddArtifact(string name, string location, string? contentType = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(location);
        ThrowIfCompleted();
        _artifacts.Add(new JobArtifact(name, location, contentType));
    }

    private void ThrowIfLost(bool applied)
    {
        if (!applied)
            throw LeaseLost();
    }

    /// <summary>Stops the handler because a fenced write was refused, and returns the exception it gets.</summary>
    internal OperationCanceledException LeaseLost()
    {
        _run.Stop(StopReason.LeaseLost);
        return new OperationCanceledException($"Job {JobId} lost its lease (attempt {Attempt}); another worker may own it now.", CancellationToken);
    }

    private void ThrowIfCompleted()
    {
        if (_run.IsCompleted)
            throw new InvalidOperationException($"Job {JobId} attempt {Attempt} already completed in the handler's transaction; nothing more can be recorded for it.");
    }
}

/// <summary>The context of an attempt of a job whose payload is <typeparamref name="TPayload"/>.</summary>
public sealed class JobContext<TPayload> : JobContext
{
    internal JobContext(RunningJob run, IJobStore store, JsonSerializerOptions json, IServiceProvider services, TPayload payload, CancellationToken cancellationToken)
        : base(run, store, json, services, cancellationToken) => Payload = payload;

    /// <summary>The job's payload.</summary>
    public TPayload Payload { get; }
}
