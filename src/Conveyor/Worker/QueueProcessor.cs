using Conveyor.Storage;
using Conveyor.Telemetry;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// A claim loop of one queue, with its share of the queue's slots (a queue has <see cref="QueueOptions.ClaimLoops"/>
/// of them): claims as many jobs as it has free slots in one store call (and, while jobs are shorter than a claim,
/// up to <see cref="QueueOptions.Prefetch"/> more to start as slots free), hands each to the executor, and sleeps
/// until one of its slots frees up or it is woken. The queue's first loop is woken by announced jobs and polls; each
/// further loop is woken by the loop before it, when that one's claim came back full: the queue has a backlog, and
/// a second claim in flight lets the store work on one while this process starts the jobs of the other.
/// </summary>
internal sealed class QueueProcessor
{
    /// <summary>How long a job claimed ahead may wait for a slot before it is handed back uncharged.</summary>
    private static readonly TimeSpan AheadWaitLimit = TimeSpan.FromMilliseconds(100);

    private readonly QueueOptions _queue;
    private readonly int _slots;
    private readonly bool _first;
    private readonly ConveyorOptions _options;
    private readonly IJobStore _store;
    private readonly JobExecutor _executor;
    private readonly CompletionBatcher _completions;
    private readonly Lock _finishedGate = new();
    private List<JobCompletion> _finished = [];
    private List<string> _finishedKinds = [];
    private bool _claimLoopEnded;
    private readonly RunningJobs _running;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WakeSignal _wake = new();
    private readonly IReadOnlyList<LimitDefinition>? _limits;
    private int _busy;
    private readonly int _prefetch;
    // Jobs claimed ahead of free slots, oldest first, with the timestamp of their claim; only this loop touches it.
    private readonly Queue<(RunningJob Run, long ClaimedAt)> _ahead = new();
    // The longest run of an attempt that ended since the last claim (-1: none ended), against the last claim's
    // duration; the verdict stands until attempts end again.
    private long _slowestRunTicks = -1;
    private long _lastClaimTicks;
    private bool _jobsShorterThanClaims;
    private long _nextDueTicks = long.MaxValue;

    // slots: how many of the queue's jobs this loop runs at once; first: whether it is the queue's first loop, which
    // announcements reach and which polls.
    public QueueProcessor(QueueOptions queue, int slots, bool first, ConveyorOptions options, IJobStore store, JobExecutor executor, CompletionBatcher completions, RunningJobs running, TimeProvider time, ILogger logger)
    {
        _queue = queue;
        _slots = slots;
        _first = first;
        _options = options;
        _store = store;
        _executor = executor;
        _completions = completions;
        _running = running;
        _time = time;
        _logger = logger;
        _prefetch = queue.Prefetch ?? 12 * queue.Concurrency;
        // The limits that can govern this queue's jobs: every job type's, and this queue's own. None: the store's fast path.
        var limits = options.Limits.Values.Where(l => l.JobType is not null || l.Queue == queue.Name).Select(l => l.ToDefinition()).ToList();
        _limits = limits.Count == 0 ? null : limits;
    }

    /// <summary>The queue's next claim loop, woken when a claim of this one comes back full; null for the last.</summary>
    public QueueProcessor? Next { get; init; }

    /// <summary>Jobs became ready now or will be at <paramref name="readyAt"/> (told to the queue's first loop only).</summary>
    public void Notify(DateTimeOffset readyAt)
    {
        var ticks = readyAt.UtcTicks;
        long seen;
        while (ticks < (seen = Interlocked.Read(ref _nextDueTicks)) && Interlocked.CompareExchange(ref _nextDueTicks, ticks, seen) != seen)
        {
            // Another notifier moved the due time; compare again.
        }
        _wake.Set();
    }

    public async Task RunAsync(CancellationToken stopClaiming)
    {
        try
        {
            await ClaimLoopAsync(stopClaiming);
        }
        finally
        {
            // From now on finished attempts go to the completion batcher; hand it what is still waiting here, and
            // the jobs claimed ahead that never started.
            (List<JobCompletion> Completions, List<string> Kinds) left;
            lock (_finishedGate)
            {
                _claimLoopEnded = true;
                left = TakeFinished();
            }
            Submit(left);
            HandBackAhead();
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stopClaiming)
    {
        // A further loop has nothing to claim until the loop before it finds a backlog.
        if (!_first)
            await _wake.WaitAsync(null, _time, stopClaiming);
        while (!stopClaiming.IsCancellationRequested)
        {
            // While jobs run, let those already queued on the thread pool finish before counting free slots:
            // short jobs then end together and one claim refills their slots, instead of a claim for the few
            // that had ended and another for the rest (the store's cost is per call more than per job). Yields
            // again while a yield saw jobs end, so at most once more than there are running jobs (only this loop
            // starts them): on the benchmark's no-op drain, one yield gave claims of 10-15 jobs, this 15.5-15.9 of
            // 16. A yield that sees none end (long jobs) stops it; an idle queue does not yield at all.
            var running = Volatile.Read(ref _busy);
            while (running > 0)
            {
                await Task.Yield();
                var after = Volatile.Read(ref _busy);
                if (after == running)
                    break;
                running = after;
            }
            var free = _slots - Volatile.Read(ref _busy);
            if (free > 0 && _ahead.Count > 0)
            {
                // Jobs claimed ahead take the free slots first; then yield to them as to any others.
                for (; free > 0 && _ahead.TryDequeue(out var ahead); free--)
                    Start(ahead.Run);
                continue;
            }
            if (_ahead.TryPeek(out var oldest) && _time.GetElapsedTime(oldest.ClaimedAt) >= AheadWaitLimit)
                HandBackAhead();
            (List<JobCompletion> Completions, List<string> Kinds) finished;
            lock (_finishedGate)
                finished = TakeFinished();
            if (free > 0)
            {
                ForgetReachedDueTime();
                // In long: a Prefetch near int.MaxValue (valid: it only has to be non-negative) must not wrap.
                var want = (int)Math.Min((long)free + ClaimAhead(free), _options.MaxClaimBatch);
                var claimed = await ClaimAsync(want, finished, stopClaiming);
                foreach (var job in claimed)
                {
                    var run = Hold(job);
                    if (free-- > 0)
                        Start(run);
                    else
                        _ahead.Enqueue((run, _time.GetTimestamp()));
                }
                if (claimed.Count == want)
                {
                    Next?._wake.Set();
                    continue;
                }
            }
            else
            {
                Submit(finished);
            }
            await _wake.WaitAsync(NextWait(), _time, stopClaiming);
        }
    }

    /// <summary>
    /// How many jobs to claim beyond the <paramref name="free"/> slots: only when all are free and the attempts
    /// that ended last all ran shorter than the claim before them took. Then the claims' round trips, not the
    /// jobs, set the pace, and jobs claimed ahead find a slot within about one more; jobs that run longer (or a
    /// first claim, with nothing to judge by) get no more than their slots.
    /// </summary>
    private int ClaimAhead(int free)
    {
        var slowest = Interlocked.Exchange(ref _slowestRunTicks, -1);
        if (slowest >= 0)
            _jobsShorterThanClaims = slowest < _lastClaimTicks;
        // All slots free means none is held ahead either (those take free slots first).
        return free == _slots && _jobsShorterThanClaims ? _prefetch : 0;
    }

    /// <summary>Hands back every job claimed ahead, uncharged (they wait for a slot too long, or claiming stopped).</summary>
    private void HandBackAhead()
    {
        while (_ahead.TryDequeue(out var ahead))
        {
            _running.Remove(ahead.Run);
            ahead.Run.Dispose();
            Finish(new JobCompletion { Lease = ahead.Run.Lease, Outcome = JobOutcome.Released, Actor = _options.WorkerId }, ahead.Run.Claim.Kind);
        }
    }

    private void ForgetReachedDueTime()
    {
        // A due time only shortens the wait until the claim it announced; once reached, this claim covers it.
        var due = Interlocked.Read(ref _nextDueTicks);
        if (due != long.MaxValue && due <= _time.GetUtcNow().UtcTicks)
            Interlocked.CompareExchange(ref _nextDueTicks, long.MaxValue, due);
    }

    /// <summary>How long to sleep unless woken; null: until woken (a further loop neither polls nor hears of due times).</summary>
    private TimeSpan? NextWait()
    {
        TimeSpan? wait = _first ? _options.PollInterval : null;
        var due = Interlocked.Read(ref _nextDueTicks);
        if (due != long.MaxValue)
            wait = Earlier(wait, TimeSpan.FromTicks(due - _time.GetUtcNow().UtcTicks));
        if (_ahead.TryPeek(out var oldest))
            wait = Earlier(wait, AheadWaitLimit - _time.GetElapsedTime(oldest.ClaimedAt));
        return wait;

        static TimeSpan Earlier(TimeSpan? a, TimeSpan b) => a is { } x && x <= b ? x : b;
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> jobs in the same store call that completes the attempts that freed
    /// their slots (one commit for both). When the call fails, the completions are kept for the next one: it
    /// either changed nothing, or the fence refuses a repeat of what it did.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int limit, (List<JobCompletion> Completions, List<string> Kinds) finished, CancellationToken stopClaiming)
    {
        try
        {
            var sent = _time.GetTimestamp();
            var claimed = await _store.JobsClaimAsync(new JobsClaimParams(_queue.Name, limit, _options.WorkerId, _options.LeaseDuration, finished.Completions) { Limits = _limits }, CancellationToken.None);
            // The claim does not say which of the completions it carried the fence refused (only those of attempts
            // whose lease expired while they ran, after the reaper took the job back); all are counted.
            Volatile.Write(ref _lastClaimTicks, _time.GetTimestamp() - sent);
            for (var i = 0; i < finished.Completions.Count; i++)
                JobMetrics.RecordCompleted(finished.Completions[i].Outcome, _queue.Name, finished.Kinds[i]);
            return claimed;
        }
        catch (Exception e)
        {
            lock (_finishedGate)
            {
                _finished.InsertRange(0, finished.Completions);
                _finishedKinds.InsertRange(0, finished.Kinds);
            }
            if (!stopClaiming.IsCancellationRequested)
                _logger.LogError(e, "Claiming from queue {Queue} failed; trying again after the poll interval", _queue.Name);
            return [];
        }
    }

    /// <summary>An attempt of this queue ended: its completion rides on the next claim, or goes to the batcher once claiming stopped.</summary>
    private void Finish(JobCompletion completion, string kind)
    {
        lock (_finishedGate)
        {
            if (!_claimLoopEnded)
            {
                _finished.Add(completion);
                _finishedKinds.Add(kind);
                return;
            }
        }
        _ = _completions.SubmitAsync(completion, _queue.Name, kind);
    }

    /// <summary>Takes the waiting completions and their job types; the caller holds <see cref="_finishedGate"/>.</summary>
    private (List<JobCompletion> Completions, List<string> Kinds) TakeFinished()
    {
        var taken = (_finished, _finishedKinds);
        _finished = [];
        _finishedKinds = [];
        return taken;
    }

    private void Submit((List<JobCompletion> Completions, List<string> Kinds) finished)
    {
        for (var i = 0; i < finished.Completions.Count; i++)
            _ = _completions.SubmitAsync(finished.Completions[i], _queue.Name, finished.Kinds[i]);
    }

    /// <summary>Registers a claimed attempt with this process: from now on heartbeats extend its lease and a cancellation reaches it.</summary>
    private RunningJob Hold(ClaimedJob job)
    {
        var run = new RunningJob(job, _options.WorkerId);
        _running.Add(run);
        return run;
    }

    private void Start(RunningJob run)
    {
        var job = run.Claim;
        Interlocked.Increment(ref _busy);
        JobMetrics.RecordStarted(job, _options.LeaseDuration);
        _ = Task.Run(async () =>
        {
            try
            {
                var began = _time.GetTimestamp();
                var completion = await _executor.RunAsync(run);
                RecordRun(_time.GetTimestamp() - began);
                if (completion is not null)
                    Finish(completion, job.Kind);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "The executor failed for job {JobId}; its lease will expire and the reaper will recover it", job.Id);
            }
            finally
            {
                _running.Remove(run);
                run.Dispose();
                Interlocked.Decrement(ref _busy);
                _wake.Set();
            }
        });
    }

    private void RecordRun(long ticks)
    {
        long seen;
        while (ticks > (seen = Interlocked.Read(ref _slowestRunTicks)) && Interlocked.CompareExchange(ref _slowestRunTicks, ticks, seen) != seen)
        {
            // Another attempt recorded a run meanwhile; compare again.
        }
    }
}
