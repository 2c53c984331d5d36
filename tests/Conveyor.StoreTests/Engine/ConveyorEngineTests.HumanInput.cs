namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    private static readonly JobPrincipal Ada = JobPrincipal.For("ada", "lab-1", "dev");

    private Task<Microsoft.Extensions.Hosting.IHost> StartPhasedHostAsync(Action<ConveyorOptions>? configure = null) => StartHostAsync(o =>
    {
        o.AddJob<PhasedJob, PhasedHandler>("phased");
        o.InteractionSweepInterval = TimeSpan.FromMilliseconds(100);
        configure?.Invoke(o);
    });

    private static async Task<InteractionInfo> InboxItemAsync(IJobClient client, long jobId)
    {
        await WaitForAsync(client, jobId, JobState.AwaitingInput);
        var inbox = await client.ListInteractionsAsync(new InteractionQuery { State = InteractionState.Pending, Tenant = "lab-1", User = "ada" });
        return Assert.Single(inbox.Interactions, i => i.JobId == jobId);
    }

    [Fact]
    public async Task A_multi_phase_job_asks_waits_resumes_on_the_answer_and_runs_each_step_once()
    {
        var host = await StartPhasedHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new PhasedJob("release notes"), new EnqueueOptions { Principal = Ada });
        var question = await InboxItemAsync(client, submitted.JobId);
        Assert.Equal("clarify", question.Key);
        Assert.Equal("Clarify release notes", question.Prompt.Title);
        Assert.Equal(0, (await client.GetAsync(submitted.JobId))!.Attempt);

        var answered = await client.AnswerAsync(question.Id, """{"scope":"team","go":true}""", Ada);
        Assert.Equal(InteractionAnswerOutcome.Answered, answered.Outcome);
        Assert.Equal("ada", answered.Interaction!.AnsweredBy);
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        var id = submitted.JobId;
        Assert.Equal((2, 1, 1, 1), (Probe.CountOf($"{id}:run"), Probe.CountOf($"{id}:refine"), Probe.CountOf($"{id}:answered"), Probe.CountOf($"{id}:draft")));
        Assert.Equal("""{"draft":"refined release notes for team","go":true}""", job.Result);
        Assert.Equal(1, job.Attempt);
        Assert.Equal("draft", job.Progress?.Phase);
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Progress, JobEventKind.StepCompleted, JobEventKind.InputRequested,
             JobEventKind.InputReceived, JobEventKind.Started, JobEventKind.Progress, JobEventKind.StepCompleted, JobEventKind.Succeeded],
            await HistoryAsync(client, id));
        Assert.Equal(InteractionAnswerOutcome.AlreadyAnswered, (await client.AnswerAsync(question.Id, """{"scope":"company","go":true}""", Ada)).Outcome);
    }

    [Fact]
    public async Task A_job_awaiting_input_frees_its_slot_for_other_work()
    {
        var host = await StartPhasedHostAsync(o => o.AddQueue("solo", q => q.Concurrency = 1).Route("phased", "solo").Route("echo", "solo"));
        var client = Client(host);

        var waiting = await client.EnqueueAsync(new PhasedJob("a"), new EnqueueOptions { Principal = Ada });
        await WaitForAsync(client, waiting.JobId, JobState.AwaitingInput);
        var other = await client.EnqueueAsync(new EchoJob("meanwhile"));

        await WaitForAsync(client, other.JobId, JobState.Succeeded);
        Assert.Equal(JobState.AwaitingInput, (await client.GetAsync(waiting.JobId))!.State);
    }

    [Fact]
    public async Task A_finished_step_does_not_run_again_when_the_job_is_retried()
    {
        var host = await StartPhasedHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new PhasedJob("b", FailOnceAfterRefine: true), new EnqueueOptions { Principal = Ada });
        var question = await InboxItemAsync(client, submitted.JobId);
        await client.AnswerAsync(question.Id, """{"scope":"company","go":false}""", Ada);
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        Assert.Equal(1, Probe.CountOf($"{job.Id}:refine"));
        Assert.Equal(1, Probe.CountOf($"{job.Id}:draft"));
        Assert.Equal(3, Probe.CountOf($"{job.Id}:run"));
        Assert.Equal(2, job.Attempt); // the failed attempt counts; the suspension did not
    }

    [Fact]
    public async Task An_answer_that_does_not_fit_the_prompt_is_refused_naming_the_field()
    {
        var host = await StartPhasedHostAsync();
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new PhasedJob("c"), new EnqueueOptions { Principal = Ada });
        var question = await InboxItemAsync(client, submitted.JobId);

        async Task<string> FieldOf(string answer) =>
            (await Assert.ThrowsAsync<JobValidationException>(() => client.AnswerAsync(question.Id, answer, Ada))).Field;

        Assert.Equal("answer.scope", await FieldOf("""{"scope":"nobody","go":true}"""));
        Assert.Equal("answer.scope", await FieldOf("""{"go":true}"""));
        Assert.Equal("answer.go", await FieldOf("""{"scope":"team"}"""));
        Assert.Equal("answer.go", await FieldOf("""{"scope":"team","go":"yes"}"""));
        Assert.Equal("answer.notes", await FieldOf("""{"scope":"team","go":true,"notes":3}"""));
        Assert.Equal("answer.color", await FieldOf("""{"scope":"team","go":true,"color":"red"}"""));
        Assert.Equal("answer", await FieldOf("[1]"));
        Assert.Equal("answer", await FieldOf("{not json"));
        Assert.Equal(JobState.AwaitingInput, (await client.GetAsync(submitted.JobId))!.State);
        Assert.Equal(InteractionAnswerOutcome.Answered, (await client.AnswerAsync(question.Id, """{"scope":"team","go":true,"notes":null}""", Ada)).Outcome);
    }

    [Fact]
    public async Task Only_the_submitter_or_the_named_role_in_the_jobs_tenant_may_answer()
    {
        var host = await StartPhasedHostAsync();
        var client = Client(host);
        var mine = await client.EnqueueAsync(new PhasedJob("d"), new EnqueueOptions { Principal = Ada });
        var reviewed = await client.EnqueueAsync(new PhasedJob("e", AllowedRole: "reviewer"), new EnqueueOptions { Principal = Ada });
        var q1 = await InboxItemAsync(client, mine.JobId);
        var q2 = await InboxItemAsync(client, reviewed.JobId);
        const string answer = """{"scope":"team","go":true}""";

        Assert.Equal(InteractionAnswerOutcome.NotAllowed, (await client.AnswerAsync(q1.Id, answer, JobPrincipal.For("bob", "lab-1", "reviewer"))).Outcome);
        Assert.Equal(InteractionAnswerOutcome.NotAllowed, (await client.AnswerAsync(q1.Id, answer, JobPrincipal.For("ada", "lab-2", "dev"))).Outcome);
        Assert.Equal(InteractionAnswerOutcome.NotAllowed, (await client.AnswerAsync(q2.Id, answer, Ada)).Outcome);
        Assert.Equal(InteractionAnswerOutcome.NotAllowed, (await client.AnswerAsync(q2.Id, answer, JobPrincipal.For("carol", "lab-2", "reviewer"))).Outcome);
        // A stranger learns nothing about the prompt: "not allowed" comes before the answer's shape.
        Assert.Equal(InteractionAnswerOutcome.NotAllowed, (await client.AnswerAsync(q1.Id, "{}", JobPrincipal.For("bob", "lab-1"))).Outcome);
        Assert.Equal(InteractionAnswerOutcome.NotFound, (await client.AnswerAsync(999_999, answer, Ada)).Outcome);

        Assert.Equal(InteractionAnswerOutcome.Answered, (await client.AnswerAsync(q2.Id, answer, JobPrincipal.For("carol", "lab-1", "reviewer"))).Outcome);
        Assert.Equal(InteractionAnswerOutcome.Answered, (await client.AnswerAsync(q1.Id, answer, Ada)).Outcome);
        await WaitForAsync(client, mine.JobId, JobState.Succeeded);
        var history = await client.GetHistoryAsync(reviewed.JobId);
        Assert.Equal("carol", history.Single(e => e.Kind == JobEventKind.InputReceived).Actor);
    }

    [Fact]
    public async Task A_question_nobody_answers_in_time_continues_with_its_default()
    {
        var host = await StartPhasedHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new PhasedJob("f", AskTimeoutMs: 300, DefaultScope: "company"), new EnqueueOptions { Principal = Ada });
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        Assert.Equal("""{"draft":"refined f for company","go":true}""", job.Result);
        var question = Assert.Single((await client.ListInteractionsAsync(new InteractionQuery { JobId = job.Id })).Interactions);
        Assert.Equal(("timeout", InteractionState.Answered), (question.AnsweredBy, question.State));
        Assert.Contains(JobEventKind.InputTimedOut, await HistoryAsync(client, job.Id));
    }

    [Fact]
    public async Task Cancelling_a_job_awaiting_input_cancels_its_question()
    {
        var host = await StartPhasedHostAsync();
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new PhasedJob("g"), new EnqueueOptions { Principal = Ada });
        var question = await InboxItemAsync(client, submitted.JobId);

        Assert.Equal(JobCancelOutcome.Cancelled, (await client.CancelAsync(submitted.JobId, "ada")).Outcome);

        Assert.Equal(InteractionState.Cancelled, (await client.GetInteractionAsync(question.Id))!.State);
        Assert.Equal(InteractionAnswerOutcome.Closed, (await client.AnswerAsync(question.Id, """{"scope":"team","go":true}""", Ada)).Outcome);
    }
}
