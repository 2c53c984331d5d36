namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private const string TraceA = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string TraceB = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

    [Fact]
    public async Task The_traceparent_of_a_submission_comes_back_with_its_claim()
    {
        await InsertAsync(Job(queue: "one") with { TraceParent = TraceA });

        Assert.Equal(TraceA, (await ClaimOneAsync("one")).TraceParent);
    }

    [Fact]
    public async Task Each_job_of_a_batch_keeps_its_own_traceparent_or_none()
    {
        var ids = await InsertManyAsync([
            Job(queue: "batch") with { TraceParent = TraceA },
            Job(queue: "batch"),
            Job(queue: "batch") with { TraceParent = TraceB },
        ]);

        var claimed = await ClaimAsync("batch", limit: 3);

        Assert.Equal([(ids[0], TraceA), (ids[1], null), (ids[2], TraceB)], claimed.OrderBy(c => c.Id).Select(c => (c.Id, c.TraceParent)));
    }

    [Fact]
    public async Task A_retried_job_keeps_its_traceparent_on_every_claim()
    {
        await InsertAsync(Job(queue: "again") with { TraceParent = TraceB });
        Assert.True(await CompleteAsync(await ClaimOneAsync("again"), JobOutcome.Retry, error: "x"));

        var second = await ClaimOneAsync("again");

        Assert.Equal((2, TraceB), (second.Attempt, second.TraceParent));
    }
}
