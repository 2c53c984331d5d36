using System.Reflection;
using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Tests.Worker;

/// <summary>A heartbeat stops exactly the attempts whose leases it reports lost, never a newer attempt of the same job.</summary>
public sealed class LeaseKeeperTests
{
    [Fact]
    public async Task A_lost_lease_of_an_ended_attempt_does_not_stop_the_jobs_next_attempt()
    {
        var running = new RunningJobs();
        var first = new RunningJob(Claim(7, token: 1), "worker-1");
        running.Add(first);
        // The heartbeat takes its snapshot while attempt 1 is still registered; by the time the store answers, the
        // job was retried at once and attempt 2 runs here under token 2. The store reports token 1 lost.
        var store = HeartbeatStore.Create(onBeat: () => running.Add(new RunningJob(Claim(7, token: 2), "worker-1")), lost: [7]);

        await new LeaseKeeper(new ConveyorOptions(), store, running, TimeProvider.System, NullLogger.Instance).BeatAsync(CancellationToken.None);

        var second = Assert.Single(running.All);
        Assert.Equal(2, second.Lease.LeaseToken);
        Assert.Equal(StopReason.None, second.Reason);
    }

    [Fact]
    public async Task A_lost_lease_stops_its_attempt_and_a_completed_attempt_is_not_heartbeaten()
    {
        var running = new RunningJobs();
        var lost = new RunningJob(Claim(1, token: 5), "worker-1");
        var completed = new RunningJob(Claim(2, token: 1), "worker-1");
        completed.MarkCompleted();
        running.Add(lost);
        running.Add(completed);
        IReadOnlyList<JobLease>? sent = null;
        var store = HeartbeatStore.Create(onBeat: () => { }, lost: [1], seen: leases => sent = leases);

        await new LeaseKeeper(new ConveyorOptions(), store, running, TimeProvider.System, NullLogger.Instance).BeatAsync(CancellationToken.None);

        Assert.Equal(StopReason.LeaseLost, lost.Reason);
        Assert.Equal([new JobLease(1, 5)], sent);
    }

    private static ClaimedJob Claim(long id, long token) => new()
    {
        Id = id,
        Kind = "k",
        Queue = "default",
        Priority = JobPriority.Normal,
        Payload = "{}",
        Attempt = (int)token,
        MaxAttempts = 3,
        LeaseToken = token,
        LeaseExpiresAt = DateTimeOffset.UnixEpoch,
        Principal = JobPrincipal.System,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    /// <summary>A store that only answers heartbeats: it runs a callback, then reports the given jobs lost.</summary>
    public class HeartbeatStore : DispatchProxy
    {
        private Action _onBeat = () => { };
        private IReadOnlyList<long> _lost = [];
        private Action<IReadOnlyList<JobLease>> _seen = _ => { };

        public static IJobStore Create(Action onBeat, IReadOnlyList<long> lost, Action<IReadOnlyList<JobLease>>? seen = null)
        {
            var store = DispatchProxy.Create<IJobStore, HeartbeatStore>();
            var self = (HeartbeatStore)(object)store;
            self._onBeat = onBeat;
            self._lost = lost;
            self._seen = seen ?? (_ => { });
            return store;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IJobStore.JobsHeartbeatAsync))
                throw new InvalidOperationException($"Unexpected store call {targetMethod?.Name}.");
            _seen(((JobsHeartbeatParams)args![0]!).Leases);
            _onBeat();
            return Task.FromResult(new JobsHeartbeatResult(_lost, []));
        }
    }
}
