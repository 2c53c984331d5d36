using System.Reflection;
using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Tests.Worker;

public sealed class LeaseKeeperTests
{
    private readonly RunningJobs _running = new();
    private readonly RunningJob _first = new(Claim(7, leaseToken: 1));
    private readonly RunningJob _second = new(Claim(7, leaseToken: 2));

    [Fact]
    public async Task A_lost_lease_stops_the_attempt_that_held_it()
    {
        _running.Add(_first);

        await BeatAsync(_ => new JobsHeartbeatResult([7], []));

        Assert.Equal(StopReason.LeaseLost, _first.Reason);
    }

    [Fact]
    public async Task A_lost_lease_never_stops_a_newer_attempt_of_the_same_job()
    {
        _running.Add(_first);

        await BeatAsync(_ =>
        {
            // While the heartbeat is in flight the attempt ends, and its completion commits with a claim that takes
            // the same job again: the store reports the old lease lost.
            _running.Remove(_first);
            _running.Add(_second);
            return new JobsHeartbeatResult([7], [7]);
        });

        Assert.Equal(StopReason.None, _second.Reason);
    }

    private async Task BeatAsync(Func<JobsHeartbeatParams, JobsHeartbeatResult> answer)
    {
        var store = HeartbeatOnlyStore.Create(answer);
        await new LeaseKeeper(new ConveyorOptions(), store, _running, TimeProvider.System, NullLogger.Instance).BeatAsync(CancellationToken.None);
    }

    private static ClaimedJob Claim(long id, long leaseToken) => new()
    {
        Id = id, Kind = "k", Queue = "default", Priority = JobPriority.Normal, Payload = "{}", Attempt = (int)leaseToken, MaxAttempts = 3,
        LeaseToken = leaseToken, LeaseExpiresAt = DateTimeOffset.UnixEpoch, Principal = JobPrincipal.System, CreatedAt = DateTimeOffset.UnixEpoch,
    };
}

/// <summary>A store that answers heartbeats and nothing else.</summary>
public class HeartbeatOnlyStore : DispatchProxy
{
    private Func<JobsHeartbeatParams, JobsHeartbeatResult> _answer = null!;

    public static IJobStore Create(Func<JobsHeartbeatParams, JobsHeartbeatResult> answer)
    {
        var store = DispatchProxy.Create<IJobStore, HeartbeatOnlyStore>();
        ((HeartbeatOnlyStore)(object)store)._answer = answer;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod?.Name == nameof(IJobStore.JobsHeartbeatAsync)
            ? Task.FromResult(_answer((JobsHeartbeatParams)args![0]!))
            : throw new NotSupportedException(targetMethod?.Name);
}
