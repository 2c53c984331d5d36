using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// The claim loop of one queue: claims as many jobs as it has free slots in one store call, hands each to the
/// executor, and sleeps until a job is announced, a slot frees up, or the poll interval passes.
/// </summary>
internal sealed class QueueProcessor
{
    private readonly QueueOptions _queue;
    private readonly ConveyorOptions _options;
    private readonly IJobStore _store;
    private readonly JobExecutor _executor;
    private readonly RunningJobs _running;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WakeSignal _wake = new();
    private int _busy;
    private long _nextDueTicks = long.MaxValue;

    public QueueProcessor(QueueOptions queue, ConveyorOptions options, IJobStore store, JobExecutor executor, RunningJobs running, TimeProvider time, ILogger logger)
    {
        _queue = queue;
        _options = options;
        _store = store;
        _executor = executor;
        _running = running;
        _time = time;
        _logger = logger;
    }

    public string Queue => _queue.Name;

    /// <summary>Jobs became ready now or will be at <paramref name="readyAt"/>.</summary>
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
        while (!stopClaiming.IsCancellationRequested)
        {
            // While jobs run, let those already queued on the thread pool finish before counting free slots:
            // short jobs then end together and one claim refills their slots, instead of a claim for the few
            // that had ended and another for the rest (the store's cost is per call more than per job; on the
            // benchmark's no-op drain this took claims from ~7 to ~14 jobs each). An idle queue does not yield.
            if (Volatile.Read(ref _busy) > 0)
                await Task.Yield();
            var free = _queue.Concurrency - Volatile.Read(ref _busy);
            if (free > 0)
            {
                ForgetReachedDueTime();
                var want = Math.Min(free, _options.MaxClaimBatch);
                var claimed = await ClaimAsync(want, stopClaiming);
                foreach (var job in claimed)
                    Start(job);
                if (claimed.Count == want)
                    continue;
            }
            await _wake.WaitAsync(NextWait(), _time, stopClaiming);
        }
    }

    private void ForgetReachedDueTime()
    {
        // A due time only shortens the wait until the claim it announced; once reached, this claim covers it.
        var due = Interlocked.Read(ref _nextDueTicks);
        if (due != long.MaxValue && due <= _time.GetUtcNow().UtcTicks)
            Interlocked.CompareExchange(ref _nextDueTicks, long.MaxValue, due);
    }

    private TimeSpan NextWait()
    {
        var due = Interlocked.Read(ref _nextDueTicks);
        if (due == long.MaxValue)
            return _options.PollInterval;
        var untilDue = TimeSpan.FromTicks(due - _time.GetUtcNow().UtcTicks);
        return untilDue < _options.PollInterval ? untilDue : _options.PollInterval;
    }

    private async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int limit, CancellationToken stopClaiming)
    {
        try
        {
            return await _store.JobsClaimAsync(new JobsClaimParams(_queue.Name, limit, _options.WorkerId, _options.LeaseDuration), stopClaiming);
        }
        catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
        {
            return [];
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Claiming from queue {Queue} failed; trying again after the poll interval", _queue.Name);
            return [];
        }
    }

    private void Start(ClaimedJob job)
    {
        Interlocked.Increment(ref _busy);
        var run = new RunningJob(job);
        _running.Add(run);
        _ = Task.Run(async () =>
        {
            try
            {
                await _executor.RunAsync(run);
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
}
