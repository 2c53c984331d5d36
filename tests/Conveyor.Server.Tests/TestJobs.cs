namespace Conveyor.Server.Tests;

public sealed record Echo(string Text);

/// <summary>Succeeds with the text as its result, after reporting progress once.</summary>
public sealed class EchoHandler : IJobHandler<Echo>
{
    public async Task HandleAsync(JobContext<Echo> job, CancellationToken cancellationToken)
    {
        await job.ReportProgressAsync(50, "echo", job.Payload.Text);
        job.SetResult(new { echoed = job.Payload.Text, user = job.Principal.User });
    }
}

public sealed record Hold(string Gate);

/// <summary>Runs until cancelled: lets tests observe and cancel a running job.</summary>
public sealed class HoldHandler : IJobHandler<Hold>
{
    public async Task HandleAsync(JobContext<Hold> job, CancellationToken cancellationToken)
    {
        await job.ReportProgressAsync(10, "holding", job.Payload.Gate);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}

public sealed record Doomed(string Why);

/// <summary>Fails permanently: lands in the dead-letter queue at once.</summary>
public sealed class DoomedHandler : IJobHandler<Doomed>
{
    public Task HandleAsync(JobContext<Doomed> job, CancellationToken cancellationToken) =>
        throw new PermanentJobException(job.Payload.Why);
}

public sealed record Ask(string Topic, string? AllowedRole = null);

public sealed record AskAnswer(string Scope, bool Go, string? Notes = null);

/// <summary>Asks its submitter (or a role) one question, then succeeds with the answer as its result.</summary>
public sealed class AskHandler : IJobHandler<Ask>
{
    public static InteractionPrompt Prompt(string topic) => new($"Clarify {topic}",
    [
        InteractionQuestion.Choice("scope", "Who is it for?", "team", "company"),
        InteractionQuestion.Text("notes", "Anything else?", required: false),
        InteractionQuestion.Confirm("go", "Go ahead?", preview: $"A plan for {topic}"),
    ]);

    public async Task HandleAsync(JobContext<Ask> job, CancellationToken cancellationToken)
    {
        var options = new AskOptions { AllowedRoles = job.Payload.AllowedRole is { } role ? [role] : null };
        var answer = await job.AskAsync<AskAnswer>("clarify", Prompt(job.Payload.Topic), TimeSpan.FromHours(1), options);
        job.SetResult(new { answer.Scope, answer.Go, answer.Notes });
    }
}
