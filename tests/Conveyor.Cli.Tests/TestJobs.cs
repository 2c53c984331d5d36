using System.Collections.Concurrent;

namespace Conveyor.Cli.Tests;

/// <summary>Named gates a test opens to let a handler go on, so tests see a job mid-run without sleeping.</summary>
public static class Gates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> All = new();

    public static TaskCompletionSource Get(string name) => All.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public static void Open(string name) => Get(name).TrySetResult();
}

public sealed record Echo(string Text);

/// <summary>Succeeds with the text as its result.</summary>
public sealed class EchoHandler : IJobHandler<Echo>
{
    public Task HandleAsync(JobContext<Echo> job, CancellationToken cancellationToken)
    {
        job.SetResult(new { echoed = job.Payload.Text });
        return Task.CompletedTask;
    }
}

/// <summary>Three phases with progress; when <see cref="Gate"/> is set, waits for it after the first phase.</summary>
public sealed record Phases(string? Gate);

public sealed class PhasesHandler : IJobHandler<Phases>
{
    public async Task HandleAsync(JobContext<Phases> job, CancellationToken cancellationToken)
    {
        await job.ReportProgressAsync(0, "fetch", "reading input");
        if (job.Payload.Gate is { } gate)
            await Gates.Get(gate).Task.WaitAsync(cancellationToken);
        await job.ReportProgressAsync(40, "transform", "2 of 5 batches");
        await job.ReportProgressAsync(80, "load", "writing output");
        job.SetResult(new { rows = 5 });
    }
}

public sealed record Hold(string Gate);

/// <summary>Runs until cancelled (or its gate opens).</summary>
public sealed class HoldHandler : IJobHandler<Hold>
{
    public async Task HandleAsync(JobContext<Hold> job, CancellationToken cancellationToken)
    {
        await job.ReportProgressAsync(10, "holding", job.Payload.Gate);
        await Gates.Get(job.Payload.Gate).Task.WaitAsync(cancellationToken);
    }
}

public sealed record Doomed(string Why);

/// <summary>Fails permanently: lands in the dead-letter queue at once.</summary>
public sealed class DoomedHandler : IJobHandler<Doomed>
{
    public Task HandleAsync(JobContext<Doomed> job, CancellationToken cancellationToken) =>
        throw new PermanentJobException(job.Payload.Why);
}

public sealed record Ask(string Topic);

public sealed record AskAnswer(string Scope, bool Go, string? Notes = null);

/// <summary>Asks its submitter one question of each kind, then succeeds with the answer as its result.</summary>
public sealed class AskHandler : IJobHandler<Ask>
{
    public async Task HandleAsync(JobContext<Ask> job, CancellationToken cancellationToken)
    {
        var answer = await job.AskAsync<AskAnswer>("clarify", new InteractionPrompt($"Clarify {job.Payload.Topic}",
        [
            InteractionQuestion.Choice("scope", "Who is it for?", "team", "company"),
            InteractionQuestion.Text("notes", "Anything else?", required: false),
            InteractionQuestion.Confirm("go", "Go ahead?", preview: $"A plan for {job.Payload.Topic}"),
        ]), TimeSpan.FromHours(1));
        job.SetResult(new { answer.Scope, answer.Go, answer.Notes });
    }
}
