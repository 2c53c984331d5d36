using System.Collections.Concurrent;

namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(10);

    private static readonly string Prompt = new InteractionPrompt("Clarify", [InteractionQuestion.Choice("scope", "Who is it for?", "team", "company")]).ToJson();

    private Task<JobSuspendOutcome> SuspendAsync(ClaimedJob job, string key = "clarify", InteractionTimeoutPolicy? policy = null, long? token = null,
        IReadOnlyList<string>? users = null, IReadOnlyList<string>? roles = null) =>
        Store.JobSuspendAsync(new JobSuspendParams
        {
            Lease = new JobLease(job.Id, token ?? job.LeaseToken),
            Key = key,
            PromptJson = Prompt,
            Timeout = AskTimeout,
            TimeoutPolicy = policy ?? InteractionTimeoutPolicy.Fail,
            AllowedUsers = users ?? [],
            AllowedRoles = roles ?? [],
            Actor = "worker-1",
        }, CancellationToken.None);

    private async Task<InteractionInfo> InteractionOfAsync(long jobId, string key = "clarify") =>
        Assert.Single((await Store.InteractionsListAsync(new InteractionQuery { JobId = jobId, Key = key }, CancellationToken.None)).Interactions);

    private Task<InteractionAnswerOutcome> AnswerAsync(long interactionId, string answer = """{"scope":"team"}""", string? actor = "ada", IJobStore? store = null) =>
        (store ?? Store).InteractionAnswerAsync(new InteractionAnswerParams(interactionId, answer, actor), CancellationToken.None);

    private Task<IReadOnlyList<ExpiredInteraction>> ExpireAsync(IJobStore? store = null) =>
        (store ?? Store).InteractionsExpireAsync(new InteractionsExpireParams(100), CancellationToken.None);

    /// <summary>A job of ada's in lab-1, claimed and suspended on "clarify".</summary>
    private async Task<(long JobId, InteractionInfo Interaction)> AwaitingJobAsync(InteractionTimeoutPolicy? policy = null, string? concurrencyKey = null)
    {
        var id = await InsertAsync(Job(principal: JobPrincipal.For("ada", "lab-1", "dev"), concurrencyKey: concurrencyKey));
        var claimed = await ClaimOneAsync();
        Assert.Equal(id, claimed.Id);
        Assert.Equal(JobSuspendOutcome.Suspended, await SuspendAsync(claimed, policy: policy));
        return (id, await InteractionOfAsync(id));
    }

    [Fact]
    public async Task Suspending_on_a_question_awaits_input_without_charging_the_attempt_and_records_the_interaction()
    {
        var (id, interaction) = await AwaitingJobAsync();

        var job = await GetAsync(id);
        Assert.Equal(JobState.AwaitingInput, job.State);
        Assert.Equal(0, job.Attempt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Empty(await ClaimAsync()); // waiting for a person, not for a worker
        Assert.Equal(InteractionState.Pending, interaction.State);
        Assert.Equal(Start + AskTimeout, interaction.Deadline);
        Assert.Equal(Start, interaction.AskedAt);
        Assert.Equal("lab-1", interaction.Tenant);
        Assert.Equal("ada", interaction.User);
        Assert.Equal("test.job", interaction.JobKind);
        Assert.Equal("scope", Assert.Single(interaction.Prompt.Questions).Id);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.InputRequested], await HistoryAsync(id));
        var asked = (await EventsAsync(id))[^1];
        Assert.Equal(1, asked.Attempt);
        Assert.Equal("worker-1", asked.Actor);
        Assert.Contains("clarify", asked.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await Store.QueuesListAsync(CancellationToken.None)).Single(q => q.Name == "default").AwaitingInput);
    }

    [Fact]
    public async Task An_answer_puts_the_job_back_in_its_queue_and_the_next_claim_is_the_same_attempt_number()
    {
        var (id, interaction) = await AwaitingJobAsync();
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(InteractionAnswerOutcome.Answered, await AnswerAsync(interaction.Id));

        var answered = await InteractionOfAsync(id);
        Assert.Equal(InteractionState.Answered, answered.State);
        Assert.Equal("""{"scope":"team"}""", answered.AnswerJson);
        Assert.Equal("ada", answered.AnsweredBy);
        Assert.Equal(Start + TimeSpan.FromMinutes(1), answered.AnsweredAt);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(Time.GetUtcNow(), job.RunAt);
        var again = await ClaimOneAsync();
        Assert.Equal(1, again.Attempt);
        var received = (await EventsAsync(id)).Single(e => e.Kind == JobEventKind.InputReceived);
        Assert.Equal("ada", received.Actor);
        Assert.Equal(InteractionAnswerOutcome.AlreadyAnswered, await AnswerAsync(interaction.Id));
        Assert.Equal(InteractionAnswerOutcome.NotFound, await AnswerAsync(interaction.Id + 1000));
    }

    [Fact]
    public async Task Asking_an_answered_key_again_keeps_the_one_interaction_and_its_answer()
    {
        var (id, interaction) = await AwaitingJobAsync();
        await AnswerAsync(interaction.Id);
        var replay = await ClaimOneAsync();

        // A replay that (wrongly) asks again cannot wipe the answer: one interaction per (job, key).
        await SuspendAsync(replay);

        var kept = await InteractionOfAsync(id);
        Assert.Equal(interaction.Id, kept.Id);
        Assert.Equal(InteractionState.Answered, kept.State);
        Assert.Equal("""{"scope":"team"}""", kept.AnswerJson);
    }

    [Fact]
    public async Task Of_many_racing_answers_exactly_one_wins_and_the_job_resumes_once()
    {
        var (id, interaction) = await AwaitingJobAsync();
        var stores = StoresForClaimers(4);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(n => Task.Run(() =>
            AnswerAsync(interaction.Id, $$"""{"scope":"{{(n % 2 == 0 ? "team" : "company")}}"}""", $"user-{n}", stores[n % stores.Length]))));

        Assert.Single(outcomes, o => o == InteractionAnswerOutcome.Answered);
        Assert.Equal(15, outcomes.Count(o => o == InteractionAnswerOutcome.AlreadyAnswered));
        Assert.Single(await HistoryAsync(id), k => k == JobEventKind.InputReceived);
        Assert.Equal(id, (await ClaimOneAsync()).Id);
        Assert.Empty(await ClaimAsync());
    }

    [Fact]
    public async Task A_stale_lease_cannot_suspend_the_job()
    {
        await InsertAsync(Job());
        var first = await ClaimOneAsync();
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        await ReapAsync();
        var second = await ClaimOneAsync();
        var before = await SnapshotAsync(first.Id);

        Assert.Equal(JobSuspendOutcome.LeaseLost, await SuspendAsync(first));

        Assert.Equal(before, await SnapshotAsync(first.Id));
        Assert.Empty((await Store.InteractionsListAsync(new InteractionQuery { JobId = first.Id }, CancellationToken.None)).Interactions);
        Assert.Equal(JobSuspendOutcome.Suspended, await SuspendAsync(second));
    }

    [Fact]
    public async Task A_job_whose_cancellation_was_requested_is_cancelled_when_it_asks()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);

        Assert.Equal(JobSuspendOutcome.Cancelled, await SuspendAsync(claimed));

        Assert.Equal(JobState.Cancelled, (await GetAsync(id)).State);
        Assert.Equal(InteractionState.Cancelled, (await InteractionOfAsync(id)).State);
    }

    [Fact]
    public async Task Cancelling_a_job_awaiting_input_cancels_its_question()
    {
        var (id, interaction) = await AwaitingJobAsync();

        var result = await CancelAsync(id);

        Assert.Equal(JobCancelOutcome.Cancelled, result.Outcome);
        Assert.Equal(JobState.Cancelled, (await GetAsync(id)).State);
        Assert.Equal(InteractionState.Cancelled, (await InteractionOfAsync(id)).State);
        Assert.Equal(InteractionAnswerOutcome.Closed, await AnswerAsync(interaction.Id));
        Time.Advance(AskTimeout * 2);
        Assert.Empty(await ExpireAsync());
    }

    [Fact]
    public async Task A_time_out_that_fails_fires_once_however_many_sweepers_run()
    {
        var (id, interaction) = await AwaitingJobAsync(InteractionTimeoutPolicy.Fail, concurrencyKey: "k");
        Assert.Empty(await ExpireAsync());
        Time.Advance(AskTimeout + TimeSpan.FromSeconds(1));

        var swept = await SweepConcurrentlyAsync();

        var expired = Assert.Single(swept);
        Assert.Equal((interaction.Id, InteractionState.Expired, JobState.Failed), (expired.InteractionId, expired.State, expired.JobState));
        var job = await GetAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.NotNull(job.FinishedAt);
        Assert.Contains("No answer to 'clarify' in time", job.LastError, StringComparison.Ordinal);
        Assert.Equal(InteractionState.Expired, (await InteractionOfAsync(id)).State);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.InputRequested, JobEventKind.InputTimedOut, JobEventKind.Failed], await HistoryAsync(id));
        Assert.Equal(InteractionAnswerOutcome.Closed, await AnswerAsync(interaction.Id));
    }

    [Fact]
    public async Task A_time_out_with_a_default_answers_it_once_and_resumes_the_job()
    {
        var (id, interaction) = await AwaitingJobAsync(InteractionTimeoutPolicy.UseDefault("""{"scope":"company"}"""));
        Time.Advance(AskTimeout + TimeSpan.FromSeconds(1));

        var expired = Assert.Single(await SweepConcurrentlyAsync());

        Assert.Equal((InteractionState.Answered, JobState.Pending), (expired.State, expired.JobState));
        var answered = await InteractionOfAsync(id);
        Assert.Equal("""{"scope":"company"}""", answered.AnswerJson);
        Assert.Equal("timeout", answered.AnsweredBy);
        Assert.Equal(JobState.Pending, (await GetAsync(id)).State);
        Assert.Single(await HistoryAsync(id), k => k == JobEventKind.InputTimedOut);
        Assert.Equal(id, (await ClaimOneAsync()).Id);
        Assert.Equal(InteractionAnswerOutcome.AlreadyAnswered, await AnswerAsync(interaction.Id));
    }

    [Fact]
    public async Task A_time_out_that_re_asks_sets_a_new_deadline_up_to_its_maximum_then_fails_the_job()
    {
        var (id, _) = await AwaitingJobAsync(InteractionTimeoutPolicy.ReAsk(2));

        for (var round = 1; round <= 2; round++)
        {
            Time.Advance(AskTimeout + TimeSpan.FromSeconds(1));
            var expired = Assert.Single(await SweepConcurrentlyAsync());
            Assert.Equal((InteractionState.Pending, JobState.AwaitingInput), (expired.State, expired.JobState));
            var again = await InteractionOfAsync(id);
            Assert.Equal(round, again.Escalations);
            Assert.Equal(Time.GetUtcNow() + AskTimeout, again.Deadline);
            Assert.Equal(JobState.AwaitingInput, (await GetAsync(id)).State);
        }
        Time.Advance(AskTimeout + TimeSpan.FromSeconds(1));
        var last = Assert.Single(await SweepConcurrentlyAsync());

        Assert.Equal((InteractionState.Expired, JobState.Failed), (last.State, last.JobState));
        Assert.Equal(JobState.Failed, (await GetAsync(id)).State);
        Assert.Equal(3, (await HistoryAsync(id)).Count(k => k == JobEventKind.InputTimedOut));
    }

    /// <summary>Eight sweepers at once, half on another store instance (another process): returns everything they timed out.</summary>
    private async Task<List<ExpiredInteraction>> SweepConcurrentlyAsync()
    {
        var stores = StoresForClaimers(8);
        var all = new ConcurrentBag<ExpiredInteraction>();
        await Task.WhenAll(stores.Select(s => Task.Run(async () =>
        {
            foreach (var e in await ExpireAsync(s))
                all.Add(e);
        })));
        return [.. all];
    }

    [Fact]
    public async Task A_step_is_stored_once_under_the_current_lease_and_a_stale_lease_changes_nothing()
    {
        var id = await InsertAsync(Job());
        var first = await ClaimOneAsync();
        Assert.True(await Store.JobStepSaveAsync(new JobStepSaveParams(first.Lease(), "refine", """{"n":1}"""), CancellationToken.None));
        Assert.True(await Store.JobStepSaveAsync(new JobStepSaveParams(first.Lease(), "refine", """{"n":2}"""), CancellationToken.None));

        // The lease lapses and another worker takes the job: the first worker's writes are refused.
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        await ReapAsync();
        var second = await ClaimOneAsync();
        var before = await SnapshotAsync(id);
        Assert.False(await Store.JobStepSaveAsync(new JobStepSaveParams(first.Lease(), "draft", "1"), CancellationToken.None));
        Assert.Equal(before, await SnapshotAsync(id));

        var steps = await Store.JobStepsListAsync(id, CancellationToken.None);
        var refine = Assert.Single(steps);
        Assert.Equal(("refine", """{"n":1}""", 1), (refine.Name, refine.ResultJson, refine.Attempt));
        Assert.True(await Store.JobStepSaveAsync(new JobStepSaveParams(second.Lease(), "draft", "2"), CancellationToken.None));
        Assert.Equal(["refine", "draft"], (await Store.JobStepsListAsync(id, CancellationToken.None)).Select(s => s.Name));
        Assert.Equal(2, (await HistoryAsync(id)).Count(k => k == JobEventKind.StepCompleted));
        Assert.Empty(await Store.JobStepsListAsync(id + 1000, CancellationToken.None));
    }

    [Fact]
    public async Task A_step_starting_sets_the_phase_and_keeps_the_percentage()
    {
        await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await Store.JobProgressSetAsync(new JobProgressSetParams(claimed.Lease(), new JobProgress(40, "old", "m")), CancellationToken.None);

        Assert.True(await Store.JobProgressSetAsync(new JobProgressSetParams(claimed.Lease(), new JobProgress(null, "draft", null)) { KeepPercent = true }, CancellationToken.None));

        Assert.Equal(new JobProgress(40, "draft", null), (await GetAsync(claimed.Id)).Progress);
    }

    [Fact]
    public async Task Purging_a_job_deletes_its_steps_and_interactions()
    {
        var (id, _) = await AwaitingJobAsync();
        var other = await InsertAsync(Job(queue: "other"));
        var running = await ClaimOneAsync("other");
        await Store.JobStepSaveAsync(new JobStepSaveParams(running.Lease(), "kept", "1"), CancellationToken.None);
        await CancelAsync(id);
        Time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(1, await Store.JobsPurgeAsync(new JobsPurgeParams(TimeSpan.FromDays(1), TimeSpan.FromDays(1), TimeSpan.FromDays(1), 100), CancellationToken.None));

        Assert.Null(await Store.JobGetAsync(id, CancellationToken.None));
        Assert.Empty((await Store.InteractionsListAsync(new InteractionQuery { JobId = id }, CancellationToken.None)).Interactions);
        Assert.Single(await Store.JobStepsListAsync(other, CancellationToken.None));
    }

    [Fact]
    public async Task Purging_removes_finished_steps_with_their_job()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await Store.JobStepSaveAsync(new JobStepSaveParams(claimed.Lease(), "one", "1"), CancellationToken.None);
        await CompleteAsync(claimed, JobOutcome.Succeeded);
        Time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(1, await Store.JobsPurgeAsync(new JobsPurgeParams(TimeSpan.FromDays(1), null, null, 100), CancellationToken.None));

        Assert.Empty(await Store.JobStepsListAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Interactions_list_by_state_tenant_and_user_newest_first_a_page_at_a_time()
    {
        var ids = new List<long>();
        foreach (var (user, tenant) in new[] { ("ada", "lab-1"), ("bob", "lab-1"), ("ada", "lab-1"), ("cy", (string?)null) })
        {
            var id = await InsertAsync(Job(principal: new JobPrincipal(user, tenant, [])));
            await SuspendAsync(await ClaimOneAsync());
            ids.Add(id);
        }
        await AnswerAsync((await InteractionOfAsync(ids[0])).Id);

        async Task<List<long>> JobsOf(InteractionQuery q) =>
            (await Store.InteractionsListAsync(q, CancellationToken.None)).Interactions.Select(i => i.JobId).ToList();

        Assert.Equal([ids[2]], await JobsOf(new InteractionQuery { State = InteractionState.Pending, Tenant = "lab-1", User = "ada" }));
        Assert.Equal([ids[2], ids[1]], await JobsOf(new InteractionQuery { State = InteractionState.Pending, Tenant = "lab-1" }));
        Assert.Equal([ids[3]], await JobsOf(new InteractionQuery { Tenant = "" }));
        Assert.Null((await InteractionOfAsync(ids[3])).Tenant);
        Assert.Equal([ids[0]], await JobsOf(new InteractionQuery { State = InteractionState.Answered }));

        var first = await Store.InteractionsListAsync(new InteractionQuery { Limit = 3 }, CancellationToken.None);
        Assert.Equal([ids[3], ids[2], ids[1]], first.Interactions.Select(i => i.JobId));
        var second = await Store.InteractionsListAsync(new InteractionQuery { Limit = 3, Cursor = first.NextCursor }, CancellationToken.None);
        Assert.Equal([ids[0]], second.Interactions.Select(i => i.JobId));
        Assert.Null(second.NextCursor);
        Assert.Null(await Store.InteractionGetAsync(999_999, CancellationToken.None));
    }
}

internal static class ClaimedJobLeaseExtensions
{
    public static JobLease Lease(this ClaimedJob job) => new(job.Id, job.LeaseToken);
}
