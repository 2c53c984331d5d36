using System.Collections.Concurrent;
using System.Reflection;

namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    // Each claim of the store below takes this much longer, as over a slow network: the test's echo jobs then
    // run shorter than a claim however loaded the machine is, which is when a queue claims ahead.
    private static readonly TimeSpan SlowClaim = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData(null, 52)]
    [InlineData(0, 4)]
    [InlineData(int.MaxValue, 200)]
    public async Task Jobs_shorter_than_a_claim_are_claimed_ahead_of_free_slots_and_each_runs_once(int? prefetch, int largestClaim)
    {
        var claims = new ClaimLog();
        var host = await StartHostAsync(o =>
        {
            o.AddQueue(ConveyorOptions.DefaultQueueName, q => { q.Concurrency = 4; q.Prefetch = prefetch; });
            SlowClaims(o, claims);
        });
        var client = Client(host);

        var ids = (await client.EnqueueManyAsync(Enumerable.Range(0, 60).Select(i => new EchoJob($"e{i}")))).Select(r => r.JobId).ToList();

        foreach (var id in ids)
            Assert.Equal(1, (await WaitForAsync(client, id, JobState.Succeeded)).Attempt);
        Assert.Equal(ids.Order(), Probe.Starts.Select(s => s.JobId).Order());
        Assert.True(Probe.MaxActive <= 4, $"{Probe.MaxActive} handlers ran at once on 4 slots.");
        // The first claim has no finished job to judge by: it takes the 4 free slots only.
        Assert.Equal(4, claims.Limits.First());
        Assert.Equal(largestClaim, claims.Limits.Max());
    }

    [Fact]
    public async Task A_job_claimed_ahead_that_finds_no_slot_is_handed_back_uncharged_and_runs_later()
    {
        var host = await StartHostAsync(o =>
        {
            o.AddQueue(ConveyorOptions.DefaultQueueName, q => { q.Concurrency = 1; q.Prefetch = 1; });
            SlowClaims(o, new ClaimLog());
        });
        var client = Client(host);
        // A short job teaches the queue that its jobs end faster than a claim.
        var first = await client.EnqueueAsync(new EchoJob("short"));
        await WaitForAsync(client, first.JobId, JobState.Succeeded);

        // The next claim takes both: the blocking job gets the slot, the echo waits ahead of it, then goes back.
        var submitted = await client.EnqueueBatchAsync([new JobSubmission("blocking", """{"honourGate":true}"""), new JobSubmission("echo", """{"text":"ahead"}""")]);
        var (blocking, ahead) = (submitted[0].JobId, submitted[1].JobId);
        await Probe.StartedSignal(blocking).Task.WaitAsync(Patience);
        using (var deadline = new CancellationTokenSource(Patience))
        {
            while (!(await HistoryAsync(client, ahead)).Contains(JobEventKind.Released))
                await Task.Delay(10, deadline.Token); // a condition wait: the engine hands the job back on its own
        }
        var waiting = await client.GetAsync(ahead);
        Assert.Equal((JobState.Pending, 0), (waiting!.State, waiting.Attempt));
        Assert.DoesNotContain(Probe.Starts, s => s.JobId == ahead);

        Probe.Gate.TrySetResult();
        var done = await WaitForAsync(client, ahead, JobState.Succeeded);
        Assert.Equal(1, done.Attempt);
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Released, JobEventKind.Started, JobEventKind.Succeeded],
            await HistoryAsync(client, ahead));
    }

    /// <summary>Makes every claim of the configured store <see cref="SlowClaim"/> slower and records it in <paramref name="log"/>.</summary>
    private static void SlowClaims(ConveyorOptions o, ClaimLog log)
    {
        var open = o.StoreFactory!;
        o.UseStore(services => SlowClaimStore.Wrap(open(services), log));
    }

    /// <summary>How many jobs each claim asked for, in order, and the most claims that were in flight at once.</summary>
    public sealed class ClaimLog
    {
        private int _inFlight;
        private int _mostInFlight;

        public ConcurrentQueue<int> Limits { get; } = new();

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        internal void Began(int limit)
        {
            Limits.Enqueue(limit);
            var now = Interlocked.Increment(ref _inFlight);
            int most;
            while (now > (most = Volatile.Read(ref _mostInFlight)) && Interlocked.CompareExchange(ref _mostInFlight, now, most) != most)
            {
                // Another claim raised the most meanwhile; compare again.
            }
        }

        internal void Ended() => Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>The real store, with a delay before each claim (no other call is touched).</summary>
    public class SlowClaimStore : DispatchProxy
    {
        private IJobStore _inner = null!;
        private ClaimLog _log = null!;

        internal static IJobStore Wrap(IJobStore inner, ClaimLog log)
        {
            var proxy = Create<IJobStore, SlowClaimStore>();
            var slow = (SlowClaimStore)(object)proxy;
            (slow._inner, slow._log) = (inner, log);
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name == nameof(IJobStore.JobsClaimAsync))
                return ClaimAsync((JobsClaimParams)args![0]!, (CancellationToken)args[1]!);
            try
            {
                return method.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }

        private async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(JobsClaimParams p, CancellationToken cancellationToken)
        {
            _log.Began(p.Limit);
            try
            {
                await Task.Delay(SlowClaim, CancellationToken.None);
                return await _inner.JobsClaimAsync(p, cancellationToken);
            }
            finally
            {
                _log.Ended();
            }
        }
    }
}
