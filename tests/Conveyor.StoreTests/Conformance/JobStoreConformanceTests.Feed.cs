namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private Task<IReadOnlyList<FeedEvent>> FeedAsync(long afterEventId = 0, int limit = 1000) =>
        Store.EventsFeedAsync(new EventsFeedParams(afterEventId, limit), CancellationToken.None);

    [Fact]
    public async Task The_feed_returns_every_jobs_events_in_id_order_with_kind_queue_and_owner()
    {
        var a = await InsertAsync(Job(kind: "report", queue: "q1", principal: Ann));
        var b = await InsertAsync(Job(kind: "mail", queue: "q2"));
        Assert.True(await CompleteAsync(await ClaimOneAsync("q1"), JobOutcome.Succeeded));

        var feed = await FeedAsync();

        Assert.Equal([(a, JobEventKind.Enqueued), (b, JobEventKind.Enqueued), (a, JobEventKind.Started), (a, JobEventKind.Succeeded)],
            feed.Select(f => (f.Event.JobId, f.Event.Kind)));
        Assert.Equal(feed.Select(f => f.Event.Id).Order(), feed.Select(f => f.Event.Id));
        Assert.Equal(feed.Count, feed.Select(f => f.Event.Id).Distinct().Count());
        Assert.Equal(new FeedEvent(feed[0].Event, "report", "q1", "acme", "ann"), feed[0]);
        Assert.Equal(new FeedEvent(feed[1].Event, "mail", "q2", null, null), feed[1]);
        Assert.Equal("worker-1", feed[3].Event.Actor);
        // The feed carries the same events as each job's own history.
        Assert.Equal(await EventsAsync(a), feed.Where(f => f.Event.JobId == a).Select(f => f.Event));
    }

    [Fact]
    public async Task The_feed_starts_after_the_given_id_and_stops_at_the_limit()
    {
        await InsertManyAsync([Job(), Job(), Job(), Job(), Job()]);
        var all = await FeedAsync();
        Assert.Equal(5, all.Count);

        Assert.Equal(all.Take(2).Select(f => f.Event.Id), (await FeedAsync(limit: 2)).Select(f => f.Event.Id));
        Assert.Equal(all.Skip(2).Take(2).Select(f => f.Event.Id), (await FeedAsync(all[1].Event.Id, limit: 2)).Select(f => f.Event.Id));
        Assert.Equal(all.Skip(4).Select(f => f.Event.Id), (await FeedAsync(all[3].Event.Id)).Select(f => f.Event.Id));
        Assert.Empty(await FeedAsync(all[4].Event.Id));
    }

    [Fact]
    public async Task The_latest_event_id_is_the_newest_events_id_or_0_when_there_is_none()
    {
        Assert.Equal(0, await Store.EventsLatestIdAsync(CancellationToken.None));
        await InsertManyAsync([Job(), Job()]);
        await CompleteAsync(await ClaimOneAsync(), JobOutcome.Succeeded);
        var feed = await FeedAsync();
        Assert.Equal(4, feed.Count);
        Assert.Equal(feed[^1].Event.Id, await Store.EventsLatestIdAsync(CancellationToken.None));
        Assert.Empty(await FeedAsync(await Store.EventsLatestIdAsync(CancellationToken.None)));
    }

    [Fact]
    public async Task The_feed_loses_the_events_of_a_purged_job()
    {
        var purged = await RunToEndAsync(Job(queue: "gone"), JobOutcome.Succeeded);
        var kept = await InsertAsync(Job(queue: "kept"));
        Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(1, await PurgeAllAsync(TimeSpan.FromMinutes(30)));

        var feed = await FeedAsync();
        Assert.DoesNotContain(feed, f => f.Event.JobId == purged);
        Assert.Equal((kept, JobEventKind.Enqueued), Assert.Single(feed.Select(f => (f.Event.JobId, f.Event.Kind))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    public async Task The_feed_refuses_a_limit_outside_1_to_10000(int limit)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => FeedAsync(limit: limit));
    }

    [Fact]
    public async Task The_feed_accepts_the_largest_limit()
    {
        await InsertAsync(Job());

        Assert.Single(await FeedAsync(limit: EventsFeedParams.MaxLimit));
    }

    [Fact]
    public async Task Events_appended_is_raised_after_the_commit_of_every_write_that_appends_history()
    {
        var raised = 0;
        var visible = new List<int>();
        Store.Signals.EventsAppended += () =>
        {
            raised++;
            visible.Add(FeedAsync().GetAwaiter().GetResult().Count);
        };

        var id = await InsertAsync(Job(queue: "q"));
        Assert.Equal(1, raised);
        var claimed = await ClaimOneAsync("q");
        Assert.Equal(2, raised);
        Assert.True(await Store.JobProgressSetAsync(new JobProgressSetParams(new JobLease(id, claimed.LeaseToken), new JobProgress(50, null, null)), CancellationToken.None));
        Assert.Equal(3, raised);
        Assert.True(await CompleteAsync(claimed, JobOutcome.Failed, error: "x"));
        Assert.Equal(4, raised);
        Assert.Equal(JobRequeueOutcome.Requeued, (await RequeueAsync(id)).Outcome);
        Assert.Equal(5, raised);
        Assert.Equal(JobCancelOutcome.Cancelled, (await CancelAsync(id)).Outcome);
        Assert.Equal(6, raised);

        // Each signal came after its events were visible to another reader.
        Assert.Equal([1, 2, 3, 4, 5, 6], visible);
    }

    [Fact]
    public async Task Writes_that_append_no_history_raise_no_events_appended()
    {
        await InsertAsync(Job(idempotencyKey: "once"));
        var claimed = await ClaimOneAsync();
        var raised = 0;
        Store.Signals.EventsAppended += () => raised++;

        await HeartbeatAsync(new JobLease(claimed.Id, claimed.LeaseToken));
        Assert.False(await CompleteAsync(claimed, JobOutcome.Succeeded, token: claimed.LeaseToken + 1));
        Assert.False(await Store.JobLogAppendAsync(new JobLogAppendParams(new JobLease(claimed.Id, claimed.LeaseToken + 1), "stale"), CancellationToken.None));
        Assert.True((await Store.JobsInsertAsync(new JobsInsertParams([Job(idempotencyKey: "once")]), CancellationToken.None))[0].Existing);
        Assert.Empty(await ClaimAsync());
        await SetPausedAsync("default", paused: true);

        Assert.Equal(0, raised);
    }
}
