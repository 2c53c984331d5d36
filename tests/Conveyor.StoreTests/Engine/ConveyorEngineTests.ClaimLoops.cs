namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    // Three slots in two claim loops (two and one), nothing claimed ahead. Every claim is slowed by SlowClaim, so the
    // claims of the two loops overlap when both run; one loop never overlaps its own.
    private static void TwoClaimLoops(ConveyorOptions o, ClaimLog claims)
    {
        o.AddQueue(ConveyorOptions.DefaultQueueName, q => { q.Concurrency = 3; q.ClaimLoops = 2; q.Prefetch = 0; });
        SlowClaims(o, claims);
    }

    [Fact]
    public async Task A_backlog_wakes_the_second_claim_loop_and_each_job_runs_once_within_the_queue_slots()
    {
        var claims = new ClaimLog();
        var host = await StartHostAsync(o => TwoClaimLoops(o, claims));
        var client = Client(host);

        var ids = (await client.EnqueueManyAsync(Enumerable.Range(0, 40).Select(i => new EchoJob($"e{i}")))).Select(r => r.JobId).ToList();

        foreach (var id in ids)
            Assert.Equal(1, (await WaitForAsync(client, id, JobState.Succeeded)).Attempt);
        Assert.Equal(ids.Order(), Probe.Starts.Select(s => s.JobId).Order());
        Assert.True(Probe.MaxActive <= 3, $"{Probe.MaxActive} handlers ran at once on 3 slots.");
        Assert.Equal(2, claims.MostInFlight);
    }

    [Fact]
    public async Task Without_a_backlog_only_the_first_claim_loop_claims()
    {
        var claims = new ClaimLog();
        var host = await StartHostAsync(o => TwoClaimLoops(o, claims));
        var client = Client(host);

        for (var i = 0; i < 4; i++)
        {
            var job = await client.EnqueueAsync(new EchoJob($"alone{i}"));
            await WaitForAsync(client, job.JobId, JobState.Succeeded);
        }

        // No claim ever overlapped another: the second loop neither claimed when the host started nor when jobs
        // were announced (either would have run alongside the first loop's claim, each taking SlowClaim).
        Assert.Equal(1, claims.MostInFlight);
    }
}
