namespace Conveyor.Tests;

/// <summary>Payload and handler types for registering job types; the handlers never run in these tests.</summary>
public sealed record ReportRequest(string Name);

public sealed record EmailRequest(string To);

public sealed record ThumbnailRequest(string Path);

public sealed record UnregisteredRequest(int Value);

/// <summary>A payload that points at itself: System.Text.Json refuses the cycle.</summary>
public sealed class CyclicRequest
{
    public CyclicRequest? Next { get; set; }
}

/// <summary>A payload System.Text.Json cannot serialise: it does not support <see cref="System.Type"/>.</summary>
public sealed record TypeRequest(Type Target);

public sealed class NoopHandler<TPayload> : IJobHandler<TPayload>
{
    public Task HandleAsync(JobContext<TPayload> job, CancellationToken cancellationToken) => Task.CompletedTask;
}
