using Conveyor.HumanInput;
using Conveyor.Scheduling;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Worker;

/// <summary>
/// The worker host: the claim loops of each queue with slots, one heartbeat loop, one reaper, one sweeper of unanswered
/// questions past their deadline, one scheduler of recurring schedules, one retention loop
/// (it purges only while this process leads retention), one completion batcher. Stops gracefully: claims no
/// more, lets handlers finish within the shutdown timeout, then cancels the rest and hands their jobs back
/// without charging an attempt.
/// </summary>
internal sealed class ConveyorWorker : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private readonly StoreAccessor _storeAccessor;
    private readonly ConveyorOptions _options;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<ConveyorWorker> _logger;
    private readonly RunningJobs _running = new();
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopMaintenance = new();
    private readonly List<Task> _claimLoops = [];
    private readonly List<Task> _maintenanceLoops = [];
    private readonly Dictionary<string, QueueProcessor[]> _processors = new(StringComparer.Ordinal);
    private IJobStore? _store;
    private CompletionBatcher? _completions;

    public ConveyorWorker(StoreAccessor store, IOptions<ConveyorOptions> options, IServiceScopeFactory scopes, TimeProvider time, ILogger<ConveyorWorker> logger)
    {
        _storeAccessor = store;
        _options = options.Value;
        _scopes = scopes;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.RunWorkers)
            return;
        _store = await _storeAccessor.GetAsync(cancellationToken);
        // Code schedules are stored before anything starts, so a store that refuses them fails the start cleanly.
        var scheduler = _options.RunScheduler ? new Scheduler(_options, _store, _time, _logger) : null;
        if (scheduler is not null)
            await scheduler.SyncCodeSchedulesAsync(cancellationToken);
        _completions = new CompletionBatcher(_store, _time, _logger);
        var executor = new JobExecutor(_options, _store, _scopes, _time, _logger);
        foreach (var queue in _options.Queues.Values.Where(q => q.Concurrency > 0))
        {
            // The queue's slots shared out among its loops as evenly as they go; built last to first, each knowing the next.
            var loops = queue.ClaimLoops ?? (queue.Concurrency >= 8 ? 2 : 1);
            var chain = new QueueProcessor[loops];
            for (var i = loops - 1; i >= 0; i--)
            {
                var slots = queue.Concurrency / loops + (i < queue.Concurrency % loops ? 1 : 0);
                chain[i] = new QueueProcessor(queue, slots, first: i == 0, _options, _store, executor, _completions, _running, _time, _logger)
                {
                    Next = i + 1 < loops ? chain[i + 1] : null,
                };
            }
            _processors[queue.Name] = chain;
        }

        _store.Signals.JobsReady += OnJobsReady;
        _store.Signals.CancelRequested += OnCancelRequested;
        foreach (var processor in _processors.Values.SelectMany(p => p))
            _claimLoops.Add(Task.Run(() => processor.RunAsync(_stopClaiming.Token)));
        _maintenanceLoops.Add(Task.Run(() => new LeaseKeeper(_options, _store, _running, _time, _logger).RunAsync(_stopMaintenance.Token)));
        _maintenanceLoops.Add(Task.Run(() => new Reaper(_options, _store, _time, _logger).RunAsync(_stopMaintenance.Token)));
        if (scheduler is not null)
            _maintenanceLoops.Add(Task.Run(() => scheduler.RunAsync(_stopMaintenance.Token)));
        _maintenanceLoops.Add(Task.Run(() => new InteractionSweeper(_options, _store, _time, _logger).RunAsync(_stopMaintenance.Token)));
        if (_options.Retention.Enabled)
            _maintenanceLoops.Add(Task.Run(() => new Retention(_options, _store, _time, _logger).RunAsync(_stopMaintenance.Token)));
        _logger.LogInformation("Conveyor worker {WorkerId} started on queues {Queues}", _options.WorkerId, string.Join(", ", _processors.Keys));
    }

    private void OnJobsReady(string queue, DateTimeOffset readyAt)
    {
        // Only a queue's first loop hears of ready jobs; it wakes the next when one claim is not enough.
        if (queue == StoreSignals.AnyQueue)
        {
            foreach (var loops in _processors.Values)
                loops[0].Notify(readyAt);
        }
        else if (_processors.TryGetValue(queue, out var loops))
        {
            loops[0].Notify(readyAt);
        }
    }

    private void OnCancelRequested(long jobId) => _running.Stop(jobId, StopReason.CancelRequested);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_store is null || _completions is null)
            return;
        await _stopClaiming.CancelAsync();
        await Task.WhenAll(_claimLoops);

        if (!await _running.WaitEmptyAsync(_options.ShutdownTimeout, _time, cancellationToken))
        {
            _logger.LogWarning("Shutdown: {Count} jobs still running after {Timeout}; cancelling them and releasing their leases", _running.Count, _options.ShutdownTimeout);
            foreach (var run in _running.All)
                run.Stop(StopReason.Shutdown);
            if (!await _running.WaitEmptyAsync(CancelGrace, _time, CancellationToken.None))
            {
                // These handlers ignore their token. Hand the jobs back anyway; whatever they write later is
                // refused by the fence, because the jobs are no longer running under their lease. An attempt its
                // handler already completed in the job's transaction has nothing to hand back.
                foreach (var run in _running.All.Where(r => !r.IsCompleted))
                    _ = _completions.SubmitAsync(new JobCompletion { Lease = run.Lease, Outcome = JobOutcome.Released, Actor = _options.WorkerId }, run.Claim.Queue, run.Claim.Kind);
            }
        }

        await _completions.FlushAndStopAsync(TimeSpan.FromSeconds(10));
        await _stopMaintenance.CancelAsync();
        await Task.WhenAll(_maintenanceLoops);
        _store.Signals.JobsReady -= OnJobsReady;
        _store.Signals.CancelRequested -= OnCancelRequested;
        _logger.LogInformation("Conveyor worker {WorkerId} stopped", _options.WorkerId);
    }

    public async ValueTask DisposeAsync()
    {
        if (_completions is not null)
            await _completions.DisposeAsync();
        _stopClaiming.Dispose();
        _stopMaintenance.Dispose();
    }
}
