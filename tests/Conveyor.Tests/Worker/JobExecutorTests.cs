using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Tests.Worker;

/// <summary>
/// An attempt whose store committed its end on the handler's behalf (transactional completion) gets no completion
/// from the engine, however the handler ends.
/// </summary>
public sealed class JobExecutorTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_attempt_completed_in_the_handlers_transaction_gets_no_completion_from_the_engine(bool throwAfter)
    {
        var run = Run(new SelfCompletingJob(MarkCompleted: true, ThrowAfter: throwAfter));

        Assert.Null(await Executor().RunAsync(run));
        Assert.True(run.IsCompleted);
    }

    [Fact]
    public async Task An_attempt_its_handler_did_not_complete_gets_the_engines_completion()
    {
        var run = Run(new SelfCompletingJob(MarkCompleted: false, ThrowAfter: false));

        var completion = await Executor().RunAsync(run);

        Assert.Equal(JobOutcome.Succeeded, completion?.Outcome);
        Assert.Equal(new JobLease(7, 3), completion?.Lease);
        Assert.Equal("worker-1", completion?.Actor);
    }

    private static JobExecutor Executor()
    {
        var options = new ConveyorOptions { WorkerId = "worker-1" };
        options.AddJob<SelfCompletingJob, SelfCompletingHandler>("self-completing");
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        // The handler never reaches the store.
        return new JobExecutor(options, null!, scopes, TimeProvider.System, NullLogger.Instance);
    }

    private static RunningJob Run(SelfCompletingJob payload) => new(new ClaimedJob
    {
        Id = 7,
        Kind = "self-completing",
        Queue = "default",
        Priority = JobPriority.Normal,
        Payload = System.Text.Json.JsonSerializer.Serialize(payload, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)),
        Attempt = 1,
        MaxAttempts = 3,
        LeaseToken = 3,
        LeaseExpiresAt = DateTimeOffset.UnixEpoch,
        Principal = JobPrincipal.System,
        CreatedAt = DateTimeOffset.UnixEpoch,
    }, "worker-1");

    public sealed record SelfCompletingJob(bool MarkCompleted, bool ThrowAfter);

    /// <summary>Does what a store's job transaction does after its commit, then returns or throws.</summary>
    public sealed class SelfCompletingHandler : IJobHandler<SelfCompletingJob>
    {
        public Task HandleAsync(JobContext<SelfCompletingJob> job, CancellationToken cancellationToken)
        {
            if (job.Payload.MarkCompleted)
                StoreAttempt.Of(job).MarkCompleted();
            return job.Payload.ThrowAfter ? throw new InvalidOperationException("after the commit") : Task.CompletedTask;
        }
    }
}
