namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly TimeSpan LeaderTtl = TimeSpan.FromSeconds(30);

    private Task<bool> AcquireAsync(string holder, string name = "retention", TimeSpan? ttl = null, IJobStore? store = null) =>
        (store ?? Store).LeaderTryAcquireAsync(new LeaderAcquireParams(name, holder, ttl ?? LeaderTtl), CancellationToken.None);

    private Task<bool> ReleaseAsync(string holder, string name = "retention", IJobStore? store = null) =>
        (store ?? Store).LeaderReleaseAsync(new LeaderReleaseParams(name, holder), CancellationToken.None);

    [Fact]
    public async Task Leader_the_first_holder_acquires_and_a_second_is_refused_while_the_lease_is_live()
    {
        Assert.True(await AcquireAsync("node-a"));

        Assert.False(await AcquireAsync("node-b"));
        Time.Advance(LeaderTtl - TimeSpan.FromSeconds(1));
        Assert.False(await AcquireAsync("node-b"));
    }

    [Fact]
    public async Task Leader_the_same_holder_reacquires_and_that_extends_its_lease_from_now()
    {
        Assert.True(await AcquireAsync("node-a"));
        Time.Advance(TimeSpan.FromSeconds(20));

        Assert.True(await AcquireAsync("node-a"));

        // Past the first lease's end (30 s), within the renewed one (20 s + 30 s).
        Time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(await AcquireAsync("node-b"));
        Time.Advance(TimeSpan.FromSeconds(10) + TimeSpan.FromTicks(10));
        Assert.True(await AcquireAsync("node-b"));
    }

    [Fact]
    public async Task Leader_after_the_ttl_passes_a_second_holder_acquires_and_the_first_is_then_refused()
    {
        Assert.True(await AcquireAsync("node-a"));

        Time.Advance(LeaderTtl);
        Assert.False(await AcquireAsync("node-b"));
        Time.Advance(TimeSpan.FromTicks(10));
        Assert.True(await AcquireAsync("node-b"));

        Assert.False(await AcquireAsync("node-a"));
        Assert.False(await ReleaseAsync("node-a"));
        Assert.False(await AcquireAsync("node-c"));
    }

    [Fact]
    public async Task Leader_release_frees_the_name_at_once_and_only_the_holder_can_release()
    {
        Assert.True(await AcquireAsync("node-a"));

        Assert.False(await ReleaseAsync("node-b"));
        Assert.False(await AcquireAsync("node-b"));
        Assert.False(await ReleaseAsync("node-a", name: "other"));

        Assert.True(await ReleaseAsync("node-a"));
        Assert.False(await ReleaseAsync("node-a"));
        Assert.True(await AcquireAsync("node-b"));
        Assert.False(await AcquireAsync("node-a"));
    }

    [Fact]
    public async Task Leader_names_are_independent()
    {
        Assert.True(await AcquireAsync("node-a", name: "retention"));

        Assert.True(await AcquireAsync("node-b", name: "reaper"));
        Assert.False(await AcquireAsync("node-b", name: "retention"));
        Assert.False(await AcquireAsync("node-a", name: "reaper"));
        Assert.True(await ReleaseAsync("node-a", name: "retention"));
        Assert.False(await AcquireAsync("node-a", name: "reaper"));
    }

    [Fact]
    public async Task Leader_concurrent_acquirers_on_separate_store_instances_exactly_one_wins()
    {
        var sibling = Factory.OpenSibling(Store, Time);

        for (var round = 0; round < 20; round++)
        {
            var name = $"race-{round}";
            using var go = new ManualResetEventSlim();
            var a = Task.Run(() => { go.Wait(); return AcquireAsync("node-a", name); });
            var b = Task.Run(() => { go.Wait(); return AcquireAsync("node-b", name, store: sibling); });
            go.Set();

            var won = await Task.WhenAll(a, b);

            Assert.Single(won, w => w);
        }

        // The same once a lease has expired: both try to take over, one succeeds.
        Assert.True(await AcquireAsync("node-c", "expired"));
        Time.Advance(LeaderTtl + TimeSpan.FromSeconds(1));
        var takeover = await Task.WhenAll(
            Task.Run(() => AcquireAsync("node-a", "expired")),
            Task.Run(() => AcquireAsync("node-b", "expired", store: sibling)));
        Assert.Single(takeover, w => w);
    }

    [Fact]
    public async Task Leader_refuses_an_empty_name_or_holder_and_a_ttl_not_above_zero_or_over_thirty_days()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => AcquireAsync("node-a", name: ""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => AcquireAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => AcquireAsync("node-a", ttl: TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => AcquireAsync("node-a", ttl: TimeSpan.FromDays(30) + TimeSpan.FromTicks(1)));

        Assert.True(await AcquireAsync("node-a", ttl: TimeSpan.FromDays(30)));
        Time.Advance(TimeSpan.FromDays(29));
        Assert.False(await AcquireAsync("node-b"));
    }
}
