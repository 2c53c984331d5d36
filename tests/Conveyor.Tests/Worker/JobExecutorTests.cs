using Conveyor.Storage;
using Conveyor.Worker;

namespace Conveyor.Tests.Worker;

/// <summary>
/// An attempt whose store committed its end on the handler's behalf (transactional completion) gets no completion
/// from the engine, however the handler ends; one told to stop before its handler began does not run it.
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

    [Fact]
    public async Task An_attempt_cancelled_before_its_handler_began_ends_cancelled_without_running_it()
    {
        var run = Run(new SelfCompletingJob(MarkCompleted: true, ThrowAfter: false));
        run.Stop(StopReason.CancelRequested);

        var completion = await Executor().RunAsync(run);

        Assert.Equal(JobOutcome.Cancelled, completion?.Outcome);
        Assert.Equal("Cancelled before its handler started.", completion?.Error);
        Assert.False(run.IsCompleted); // the handler would have marked it
    }

    [Fact]
    public async Task An_attempt_whose_lease_was_lost_before_its_handler_began_writes_nothing_and_does_not_run()
    {
        var run = Run(new SelfCompletingJob(MarkCompleted: true, ThrowAfter: false));
        run.Stop(StopReason.LeaseLost);

        Assert.Null(await Executor().RunAsync(run));
        Assert.False(run.IsCompleted);
    }

    private static JobExecutor Executor() => ExecutorHarness.Executor<SelfCompletingJob, SelfCompletingHandler>("self-completing");

    private static RunningJob Run(SelfCompletingJob payload) => ExecutorHarness.Run("self-completing", payload);

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
