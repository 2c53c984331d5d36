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
