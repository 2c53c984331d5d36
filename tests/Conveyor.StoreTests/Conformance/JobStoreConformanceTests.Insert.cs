namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    [Fact]
    public async Task Insert_stores_the_job_pending_with_an_enqueued_event()
    {
        var principal = new JobPrincipal("ada", "lab-1", ["submitter"]);
        var id = await InsertAsync(Job(payload: """{"n":1}""", principal: principal, tags: ["nightly"]));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal("""{"n":1}""", job.Payload);
        Assert.Equal(principal, job.Principal);
        Assert.Equal(["nightly"], job.Tags);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(Start, job.CreatedAt);
        Assert.Equal(Start, job.RunAt);
        Assert.Null(job.StartedAt);
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(id));
    }

    [Fact]
    public async Task A_delayed_job_is_scheduled_until_its_time_comes()
    {
        var id = await InsertAsync(Job(delay: TimeSpan.FromMinutes(5)));
        Assert.Equal(JobState.Scheduled, (await GetAsync(id)).State);
        Assert.Empty(await ClaimAsync());

        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(JobState.Pending, (await GetAsync(id)).State);
        Assert.Equal(id, (await ClaimOneAsync()).Id);
    }
}
