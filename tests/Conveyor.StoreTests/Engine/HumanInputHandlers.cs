namespace Conveyor.StoreTests.Engine;

/// <summary>A multi-phase job: refine (a step) → clarify (asks its submitter) → draft (a step).</summary>
/// <param name="Name">What to work on.</param>
/// <param name="FailOnceAfterRefine">Throw a transient error right after the first step on attempt 1.</param>
/// <param name="AskTimeoutMs">The question's time-out.</param>
/// <param name="DefaultScope">When set, a time-out answers with this scope instead of failing.</param>
/// <param name="AllowedRole">When set, holders of this role may answer (and the submitter no longer by default).</param>
public sealed record PhasedJob(string Name, bool FailOnceAfterRefine = false, int AskTimeoutMs = 600_000, string? DefaultScope = null, string? AllowedRole = null);

public sealed record Clarification(string Scope, bool Go, string? Notes = null);

public sealed class PhasedHandler(Probe probe) : IJobHandler<PhasedJob>
{
    public static InteractionPrompt Prompt(string name) => new($"Clarify {name}",
    [
        InteractionQuestion.Choice("scope", "Who is it for?", "team", "company"),
        InteractionQuestion.Text("notes", "Anything else?", required: false),
        InteractionQuestion.Confirm("go", "Draft it like this?", preview: $"A skill for {name}"),
    ]);

    public async Task HandleAsync(JobContext<PhasedJob> job, CancellationToken cancellationToken)
    {
        var p = job.Payload;
        probe.Count($"{job.JobId}:run");
        var refined = await job.StepAsync("refine", _ =>
        {
            probe.Count($"{job.JobId}:refine");
            return Task.FromResult($"refined {p.Name}");
        });
        if (p.FailOnceAfterRefine && job.Attempt == 1)
            throw new TimeoutException("flaky right after refine");

        var options = new AskOptions
        {
            OnTimeout = p.DefaultScope is { } scope ? InteractionTimeoutPolicy.UseDefault(new Clarification(scope, true)) : InteractionTimeoutPolicy.Fail,
            AllowedRoles = p.AllowedRole is { } role ? [role] : null,
        };
        var answer = await job.AskAsync<Clarification>("clarify", Prompt(p.Name), TimeSpan.FromMilliseconds(p.AskTimeoutMs), options);
        probe.Count($"{job.JobId}:answered");

        var draft = await job.StepAsync("draft", _ =>
        {
            probe.Count($"{job.JobId}:draft");
            return Task.FromResult($"{refined} for {answer.Scope}");
        });
        job.SetResult(new { draft, go = answer.Go });
    }
}
