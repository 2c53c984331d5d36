namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private async Task<List<long>> ListIdsAsync(JobQuery query) => (await ListAllAsync(query)).Select(j => j.Id).ToList();

    [Fact]
    public async Task List_filters_by_state_deriving_scheduled_and_pending_from_the_clock()
    {
        var ready = await InsertAsync(Job());
        var later = await InsertAsync(Job(delay: TimeSpan.FromMinutes(1)));
        var running = await InsertAsync(Job(priority: JobPriority.Critical));
        await ClaimOneAsync();
        var cancelled = await InsertAsync(Job());
        await CancelAsync(cancelled);

        Assert.Equal([ready], await ListIdsAsync(new JobQuery { States = [JobState.Pending] }));
        Assert.Equal([later], await ListIdsAsync(new JobQuery { States = [JobState.Scheduled] }));
        Assert.Equal([running], await ListIdsAsync(new JobQuery { States = [JobState.Running] }));
        Assert.Equal([cancelled, ready], await ListIdsAsync(new JobQuery { States = [JobState.Cancelled, JobState.Pending] }));
        Assert.Empty(await ListIdsAsync(new JobQuery { States = [JobState.Succeeded, JobState.Failed] }));

        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([later, ready], await ListIdsAsync(new JobQuery { States = [JobState.Pending] }));
        Assert.Empty(await ListIdsAsync(new JobQuery { States = [JobState.Scheduled] }));
    }

    [Fact]
    public async Task List_filters_by_kind_queue_tenant_user_and_tag_combined_with_and()
    {
        var a = await InsertAsync(Job(kind: "mail", queue: "q1", principal: JobPrincipal.For("ann", "t1"), tags: ["red", "big"]));
        var b = await InsertAsync(Job(kind: "mail", queue: "q2", principal: JobPrincipal.For("bob", "t1"), tags: ["red"]));
        var c = await InsertAsync(Job(kind: "sms", queue: "q1", principal: JobPrincipal.For("ann", "t2"), tags: ["big"]));
        var d = await InsertAsync(Job(kind: "sms", queue: "q2", tags: ["reddish"]));

        Assert.Equal([b, a], await ListIdsAsync(new JobQuery { Kind = "mail" }));
        Assert.Equal([c, a], await ListIdsAsync(new JobQuery { Queue = "q1" }));
        Assert.Equal([b, a], await ListIdsAsync(new JobQuery { Tenant = "t1" }));
        Assert.Equal([c, a], await ListIdsAsync(new JobQuery { User = "ann" }));
        Assert.Equal([b, a], await ListIdsAsync(new JobQuery { Tag = "red" }));
        Assert.Equal([d], await ListIdsAsync(new JobQuery { Tag = "reddish" }));
        Assert.Equal([c], await ListIdsAsync(new JobQuery { Kind = "sms", User = "ann" }));
        Assert.Equal([a], await ListIdsAsync(new JobQuery { Queue = "q1", Tenant = "t1", Tag = "big" }));
        Assert.Empty(await ListIdsAsync(new JobQuery { Kind = "mail", Tenant = "t2" }));
        Assert.Equal([d, c, b, a], await ListIdsAsync(new JobQuery()));
    }

    [Fact]
    public async Task List_filters_by_created_range_from_inclusive_before_exclusive()
    {
        var t0 = await InsertAsync(Job());
        Time.Advance(TimeSpan.FromMinutes(1));
        var t1 = await InsertAsync(Job());
        Time.Advance(TimeSpan.FromMinutes(1));
        var t2 = await InsertAsync(Job());

        Assert.Equal([t2, t1], await ListIdsAsync(new JobQuery { CreatedFrom = Start.AddMinutes(1) }));
        Assert.Equal([t0], await ListIdsAsync(new JobQuery { CreatedBefore = Start.AddMinutes(1) }));
        Assert.Equal([t1], await ListIdsAsync(new JobQuery { CreatedFrom = Start.AddMinutes(1), CreatedBefore = Start.AddMinutes(2) }));
        Assert.Equal([t1, t0], await ListIdsAsync(new JobQuery { CreatedFrom = Start.AddSeconds(-1), CreatedBefore = Start.AddSeconds(61) }));
    }

    [Fact]
    public async Task List_pages_with_a_cursor_visiting_every_job_exactly_once_newest_first()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 250).Select(i => Job(payload: $"{i}")));
        var pages = new List<JobPage>();
        string? cursor = null;

        do
        {
            var page = await Store.JobsListAsync(new JobQuery { Limit = 100, Cursor = cursor }, CancellationToken.None);
            pages.Add(page);
            cursor = page.NextCursor;
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal([100, 100, 50], pages.Select(p => p.Jobs.Count));
        Assert.NotNull(pages[0].NextCursor);
        Assert.NotNull(pages[1].NextCursor);
        Assert.Null(pages[2].NextCursor);
        var seen = pages.SelectMany(p => p.Jobs).Select(j => j.Id).ToList();
        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Fact]
    public async Task List_of_exactly_one_full_page_has_no_next_cursor()
    {
        await InsertManyAsync(Enumerable.Range(0, 3).Select(_ => Job()));

        var page = await Store.JobsListAsync(new JobQuery { Limit = 3 }, CancellationToken.None);

        Assert.Equal(3, page.Jobs.Count);
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task List_pages_a_filtered_listing_without_mixing_in_other_jobs()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 30).Select(i => Job(queue: i % 3 == 0 ? "wanted" : "other")));
        var wanted = ids.Where((_, i) => i % 3 == 0).Reverse().ToList();

        var first = await Store.JobsListAsync(new JobQuery { Queue = "wanted", Limit = 4 }, CancellationToken.None);
        var rest = await Store.JobsListAsync(new JobQuery { Queue = "wanted", Limit = 100, Cursor = first.NextCursor }, CancellationToken.None);

        Assert.Equal(wanted, first.Jobs.Concat(rest.Jobs).Select(j => j.Id));
        Assert.Null(rest.NextCursor);
    }

    [Fact]
    public async Task Events_list_in_id_order_and_resume_after_a_given_event_id()
    {
        var id = await InsertAsync(Job(maxAttempts: 3));
        var other = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        var lease = new JobLease(id, claimed.LeaseToken);
        for (var i = 0; i < 3; i++)
            Assert.True(await Store.JobLogAppendAsync(new JobLogAppendParams(lease, $"line {i}"), CancellationToken.None));
        Assert.True(await CompleteAsync(claimed, JobOutcome.Succeeded));

        var all = await EventsAsync(id);

        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Log, JobEventKind.Log, JobEventKind.Log, JobEventKind.Succeeded], all.Select(e => e.Kind));
        Assert.Equal(all.Select(e => e.Id).Order(), all.Select(e => e.Id));
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());
        Assert.All(all, e => Assert.Equal(id, e.JobId));
        Assert.Equal(["line 0", "line 1", "line 2"], all.Where(e => e.Kind == JobEventKind.Log).Select(e => e.Message));
        Assert.Equal(all.Skip(2), await EventsAsync(id, afterEventId: all[1].Id));
        Assert.Equal(all.Skip(2).Take(2), await EventsAsync(id, afterEventId: all[1].Id, limit: 2));
        Assert.Empty(await EventsAsync(id, afterEventId: all[^1].Id));
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(other));
    }

    [Fact]
    public async Task Get_reports_the_lease_while_running_and_instants_in_utc()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();

        var job = await GetAsync(id);

        Assert.Equal(claimed.LeaseExpiresAt, job.LeaseExpiresAt);
        Assert.All(new[] { job.CreatedAt, job.UpdatedAt, job.RunAt, job.StartedAt!.Value, job.LeaseExpiresAt!.Value }, t => Assert.Equal(TimeSpan.Zero, t.Offset));
    }
}
