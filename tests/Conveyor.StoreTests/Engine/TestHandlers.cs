using System.Collections.Concurrent;

namespace Conveyor.StoreTests.Engine;

/// <summary>What handlers saw, shared between a test and the handlers its host runs.</summary>
public sealed class Probe
{
    public ConcurrentQueue<(long JobId, string? Key, int Attempt, JobPrincipal Principal, Guid Scope)> Starts { get; } = new();

    public ConcurrentDictionary<long, TaskCompletionSource> Started { get; } = new();

    public ConcurrentDictionary<long, TaskCompletionSource> Cancelled { get; } = new();

    public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many times each named thing ran (for example "12:refine", a step of job 12).</summary>
    public ConcurrentDictionary<string, int> Counts { get; } = new();

    public void Count(string name) => Counts.AddOrUpdate(name, 1, (_, n) => n + 1);

    public int CountOf(string name) => Counts.GetValueOrDefault(name);

    private int _active;
    private int _maxActive;

    public int MaxActive => Volatile.Read(ref _maxActive);

    public TaskCompletionSource StartedSignal(long jobId) => Started.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public TaskCompletionSource CancelledSignal(long jobId) => Cancelled.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public IDisposable Enter(JobContext job, Guid scope)
    {
        Starts.Enqueue((job.JobId, null, job.Attempt, job.Principal, scope));
        var now = Interlocked.Increment(ref _active);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxActive)) && Interlocked.CompareExchange(ref _maxActive, now, seen) != seen)
        {
            // Raced with another start; compare again.
        }
        StartedSignal(job.JobId).TrySetResult();
        return new Leave(this);
    }

    private sealed class Leave(Probe probe) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref probe._active);
    }
}

/// <summary>A scoped service: a handler sees a new one per attempt.</summary>
public sealed class ScopedThing
{
    public Guid Id { get; } = Guid.NewGuid();
}

public sealed record EchoJob(string Text, int Steps = 0);

public sealed class EchoHandler(Probe probe, ScopedThing scoped) : IJobHandler<EchoJob>
{
    public async Task HandleAsync(JobContext<EchoJob> job, CancellationToken cancellationToken)
    {
        using var _ = probe.Enter(job, scoped.Id);
        for (var step = 1; step <= job.Payload.Steps; step++)
        {
            await job.ReportProgressAsync(100.0 * step / job.Payload.Steps, $"step-{step}", $"step {step} of {job.Payload.Steps}");
            await job.LogAsync($"finished step {step}");
        }
        job.SetResult(new { echoed = job.Payload.Text, by = job.Principal.User });
        job.AddArtifact("report", $"/tmp/report-{job.JobId}.txt", "text/plain");
    }
}

/// <summary>Fails with a transient error until its attempt reaches <see cref="FlakyJob.SucceedOnAttempt"/>.</summary>
public sealed record FlakyJob(int SucceedOnAttempt);

public sealed class FlakyHandler(Probe probe, ScopedThing scoped) : IJobHandler<FlakyJob>
{
    public Task HandleAsync(JobContext<FlakyJob> job, CancellationToken cancellationToken)
    {
        using var _ = probe.Enter(job, scoped.Id);
        return job.Attempt < job.Payload.SucceedOnAttempt
            ? throw new TimeoutException($"upstream timed out on attempt {job.Attempt}")
            : Task.CompletedTask;
    }
}

public sealed record PermanentJob(string Reason);

public sealed class PermanentHandler(Probe probe, ScopedThing scoped) : IJobHandler<PermanentJob>
{
    public Task HandleAsync(JobContext<PermanentJob> job, CancellationToken cancellationToken)
    {
        using var _ = probe.Enter(job, scoped.Id);
        throw new PermanentJobException(job.Payload.Reason);
    }
}

/// <summary>Runs until cancelled, or until the probe's gate opens when <see cref="BlockingJob.HonourGate"/> is set.</summary>
public sealed record BlockingJob(bool HonourGate = false);

public sealed class BlockingHandler(Probe probe, ScopedThing scoped) : IJobHandler<BlockingJob>
{
    public async Task HandleAsync(JobContext<BlockingJob> job, CancellationToken cancellationToken)
    {
        using var _ = probe.Enter(job, scoped.Id);
        try
        {
            if (job.Payload.HonourGate)
                await probe.Gate.Task.WaitAsync(cancellationToken);
            else
                await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            probe.CancelledSignal(job.JobId).TrySetResult();
            throw;
        }
    }
}

/// <summary>Outlives its type's time-out.</summary>
public sealed record SlowJob;

public sealed class SlowHandler(Probe probe, ScopedThing scoped) : IJobHandler<SlowJob>
{
    public async Task HandleAsync(JobContext<SlowJob> job, CancellationToken cancellationToken)
    {
        using var _ = probe.Enter(job, scoped.Id);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
