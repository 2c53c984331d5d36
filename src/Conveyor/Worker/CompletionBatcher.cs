using System.Threading.Channels;
using Conveyor.Storage;
using Conveyor.Telemetry;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// Group commit for finished attempts: completions queue up while the previous batch commits, then go to the
/// store in one call. No timer adds latency: an idle batcher writes a lone completion at once.
/// </summary>
internal sealed class CompletionBatcher : IAsyncDisposable
{
    private const int MaxBatch = 512;

    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });

    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _loop;

    public CompletionBatcher(IJobStore store, TimeProvider time, ILogger logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Queues a completion of a job of <paramref name="kind"/> in <paramref name="queue"/> (its metric tags); the task
    /// tells whether it applied (false: the lease had been lost).
    /// </summary>
    public Task<bool> SubmitAsync(JobCompletion completion, string queue, string kind)
    {
        var applied = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_channel.Writer.TryWrite(new Item(completion, applied, queue, kind)))
            return applied.Task;
        _logger.LogWarning("Job {JobId} finished ({Outcome}) after the worker stopped; its lease will expire and the reaper will recover it", completion.Lease.JobId, completion.Outcome);
        return Task.FromResult(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Item>(MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
                batch.Add(item);
            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<Item> batch)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var applied = (await _store.JobsCompleteAsync(new JobsCompleteParams(batch.ConvertAll(b => b.Completion)), CancellationToken.None)).ToHashSet();
                foreach (var item in batch)
                {
                    var done = applied.Contains(item.Completion.Lease.JobId);
                    if (done)
                        JobMetrics.RecordCompleted(item.Completion.Outcome, item.Queue, item.Kind);
                    item.Applied.TrySetResult(done);
                }
                return;
            }
            catch (Exception e) when (!_abandon.IsCancellationRequested)
            {
                // The store is unreachable: keep the completions and try again; until then their leases keep
                // them safe, and if this process dies the reaper recovers them.
                _logger.LogError(e, "Writing {Count} job completions failed; retrying in {Delay}", batch.Count, delay);
                try
                {
                    await Task.Delay(delay, _time, _abandon.Token);
                }
                catch (OperationCanceledException)
                {
                    // Abandoned below.
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
            catch (Exception e)
            {
                foreach (var item in batch)
                    item.Applied.TrySetException(e);
                return;
            }
        }
    }

    /// <summary>Writes everything queued, waiting at most <paramref name="timeout"/> for an unreachable store.</summary>
    public async Task FlushAndStopAsync(TimeSpan timeout)
    {
        _channel.Writer.TryComplete();
        _abandon.CancelAfter(timeout);
        await _loop;
    }

    private readonly record struct Item(JobCompletion Completion, TaskCompletionSource<bool> Applied, string Queue, string Kind);

    public async ValueTask DisposeAsync()
    {
        await FlushAndStopAsync(TimeSpan.Zero);
        _abandon.Dispose();
    }
}
