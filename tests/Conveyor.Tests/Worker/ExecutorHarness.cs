using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Tests.Worker;

/// <summary>A <see cref="JobExecutor"/> for one job type whose handler never reaches the store, and claimed attempts of it.</summary>
internal static class ExecutorHarness
{
    public static JobExecutor Executor<TPayload, THandler>(string kind)
        where THandler : class, IJobHandler<TPayload>
    {
        var options = new ConveyorOptions { WorkerId = "worker-1" };
        options.AddJob<TPayload, THandler>(kind);
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        return new JobExecutor(options, null!, scopes, TimeProvider.System, NullLogger.Instance);
    }

    /// <summary>Attempt 1 of 3 of job 7, lease token 3, claimed by worker-1.</summary>
    public static RunningJob Run<TPayload>(string kind, TPayload payload) => new(new ClaimedJob
    {
        Id = 7,
        Kind = kind,
        Queue = "default",
        Priority = JobPriority.Normal,
        Payload = JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
        Attempt = 1,
        MaxAttempts = 3,
        LeaseToken = 3,
        LeaseExpiresAt = DateTimeOffset.UnixEpoch,
        Principal = JobPrincipal.System,
        CreatedAt = DateTimeOffset.UnixEpoch,
    }, "worker-1");
}
