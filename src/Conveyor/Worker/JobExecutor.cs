using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Conveyor.Retry;
using Conveyor.Storage;
using Conveyor.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// Runs one attempt end to end: a DI scope, the handler, the time-out, and the classification of how it ended
/// into the completion the store records. The claim already made the job running and stamped its start.
/// </summary>
internal sealed class JobExecutor
{
    private const int MaxErrorLength = 4000;

    private readonly ConveyorOptions _options;
    private readonly IJobStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, HandlerInvoker> _invokers = new(StringComparer.Ordinal);

    public JobExecutor(ConveyorOptions options, IJobStore store, IServiceScopeFactory scopes, TimeProvider time, ILogger logger)
    {
        _options = options;
        _store = store;
        _scopes = scopes;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Runs the attempt inside its consumer span and times it; returns how it ended, or null when nothing may be
    /// written: its lease was lost, or its handler already committed the attempt's end in its own transaction
    /// (transactional completion, counted here as a success, since the store has applied it).
    /// </summary>
    public async Task<JobCompletion?> RunAsync(RunningJob run)
    {
        using var activity = JobTracing.StartProcess(run.Claim);
        var started = JobMetrics.Duration.Enabled ? _time.GetTimestamp() : 0;
        var (completion, error) = await RunAttemptAsync(run);
        if (started != 0 || activity is not null)
            Observe(run, completion, error, started, activity);
        if (completion is null && run.IsCompleted)
            JobMetrics.RecordCompleted(JobOutcome.Succeeded, run.Claim.Queue, run.Claim.Kind);
        return completion;
    }

    private void Observe(RunningJob run, JobCompletion? completion, Exception? error, long started, Activity? activity)
    {
        var outcome = completion is not null ? JobMetrics.OutcomeName(completion.Outcome)
            : run.IsSuspended ? JobMetrics.SuspendedOutcome
            : run.IsCompleted ? JobMetrics.OutcomeName(JobOutcome.Succeeded)
            : JobMetrics.LostOutcome;
        if (started != 0)
            JobMetrics.RecordDuration(_time.GetElapsedTime(started), run.Claim.Queue, run.Claim.Kind, outcome);
        if (activity is not null)
            JobTracing.ProcessEnded(activity, outcome, completion, error);
    }

    /// <summary>Runs the handler and classifies its ending; also returns the exception it ended with, if any.</summary>
    private async Task<(JobCompletion? Completion, Exception? Error)> RunAttemptAsync(RunningJob run)
    {
        var claim = run.Claim;
        // Told to stop before its handler began (a job claimed ahead waits for a slot): the handler does not run.
        switch (run.Reason)
        {
            case StopReason.CancelRequested:
                return (Completion(run, JobOutcome.Cancelled) with { Error = "Cancelled before its handler started." }, null);
            case StopReason.LeaseLost:
                return (null, null);
        }
        var type = _options.JobTypes.GetValueOrDefault(claim.Kind);
        JobCompletion? completion;
        Exception? error = null;
        ITimer? timeout = null;
        try
        {
            if (type is null)
                throw new PermanentJobException($"Unknown job type '{claim.Kind}': no handler is registered for it on worker {_options.WorkerId}.");
            if (type.Timeout is { } limit)
                timeout = _time.CreateTimer(static s => ((RunningJob)s!).Stop(StopReason.Timeout), run, limit, Timeout.InfiniteTimeSpan);
            var invoker = _invokers.GetOrAdd(claim.Kind, static (_, t) => HandlerInvoker.Create(t), type);
            await using var scope = _scopes.CreateAsyncScope();
            var context = await invoker.InvokeAsync(run, scope.ServiceProvider, _store, _options.SerializerOptions);
            // A handler that swallowed its suspension still ends here: the store already ended the attempt. One that
            // swallowed its snooze still snoozes.
            completion = run.IsCompleted || run.IsSuspended ? null
                : run.SnoozeDelay is { } snooze ? Snoozed(run, snooze)
                : Completion(run, JobOutcome.Succeeded) with
                {
                    Result = context.ResultJson,
                    Artifacts = context.Artifacts is { Count: > 0 } artifacts ? artifacts : null,
                };
        }
        catch (Exception) when (run.IsSuspended)
        {
            // The job awaits input (or was cancelled on suspension): not a failure, nothing to write, nothing to retry.
            _logger.LogDebug("Job {JobId} attempt {Attempt} suspended awaiting input", claim.Id, claim.Attempt);
            completion = null;
        }
        catch (Exception e) when (run.IsCompleted)
        {
            // The job's success is committed; what the handler did afterwards cannot change it.
            _logger.LogWarning(e, "Job {JobId} attempt {Attempt} threw after its transaction had committed the job's success; the success stands", claim.Id, claim.Attempt);
            completion = null;
        }
        catch (Exception e)
        {
            error = e;
            completion = Classify(run, type, e);
        }
        finally
        {
            if (timeout is not null)
                await timeout.DisposeAsync();
        }

        if (completion is null)
            return (null, error);
        if (run.Reason == StopReason.LeaseLost)
        {
            // Another worker may own the job now; the store would refuse the write anyway.
            _logger.LogWarning("Job {JobId} attempt {Attempt} lost its lease; its outcome ({Outcome}) is discarded", claim.Id, claim.Attempt, completion.Outcome);
            return (null, error);
        }
        return (completion, error);
    }

    private JobCompletion Classify(RunningJob run, JobTypeOptions? type, Exception e)
    {
        var claim = run.Claim;
        if (run.Reason == StopReason.CancelRequested)
            return Completion(run, JobOutcome.Cancelled) with { Error = "Cancelled while running." };
        // A snooze is the handler's own choice of when to run again; it outranks a shutdown's release (both leave the
        // attempt uncharged) and a time-out the handler answered by snoozing.
        if (run.SnoozeDelay is { } snooze)
            return Snoozed(run, snooze);
        switch (run.Reason)
        {
            case StopReason.Shutdown:
                return Completion(run, JobOutcome.Released);
            case StopReason.Timeout:
                return Failure(run, type, $"Timed out after {type?.Timeout}.", permanent: false);
        }
        return e switch
        {
            PermanentJobException or PayloadException => Failure(run, type, Describe(e), permanent: true),
            _ => Failure(run, type, Describe(e), permanent: false),
        };

        JobCompletion Failure(RunningJob r, JobTypeOptions? t, string error, bool permanent)
        {
            if (permanent || claim.Attempt >= claim.MaxAttempts)
            {
                _logger.LogWarning("Job {JobId} ({Kind}) failed on attempt {Attempt} of {MaxAttempts} and is dead-lettered: {Error}", claim.Id, claim.Kind, claim.Attempt, claim.MaxAttempts, error);
                return Completion(r, JobOutcome.Failed) with { Error = permanent ? error : $"Attempts exhausted ({claim.Attempt} of {claim.MaxAttempts}). {error}" };
            }
            var delay = Backoff.Delay(t?.Retry ?? _options.DefaultRetry, claim.Attempt, Random.Shared.NextDouble());
            _logger.LogInformation("Job {JobId} ({Kind}) failed on attempt {Attempt}; retrying in {Delay}: {Error}", claim.Id, claim.Kind, claim.Attempt, delay, error);
            return Completion(r, JobOutcome.Retry) with { Error = error, RetryDelay = delay };
        }
    }

    private JobCompletion Snoozed(RunningJob run, TimeSpan delay)
    {
        _logger.LogDebug("Job {JobId} attempt {Attempt} snoozed for {Delay}", run.Claim.Id, run.Claim.Attempt, delay);
        return Completion(run, JobOutcome.Snoozed) with
        {
            RetryDelay = delay,
            Message = $"Snoozed for {delay.ToString("c", CultureInfo.InvariantCulture)}; the attempt is not charged.",
        };
    }

    private JobCompletion Completion(RunningJob run, JobOutcome outcome) =>
        new() { Lease = run.Lease, Outcome = outcome, Actor = _options.WorkerId };

    private static string Describe(Exception e)
    {
        var text = e is PermanentJobException or PayloadException ? e.Message : $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}
