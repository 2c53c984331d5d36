using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Tests.Worker;

/// <summary>How the engine classifies an attempt whose handler called <see cref="JobContext.Snooze(TimeSpan)"/>.</summary>
public sealed class SnoozeTests
{
    [Fact]
    public async Task A_snooze_ends_the_attempt_as_snoozed_with_its_delay_and_no_error()
    {
        var completion = await Executor().RunAsync(Run(new SnoozeJob(DelaySeconds: 300)));

        Assert.NotNull(completion);
        Assert.Equal((JobOutcome.Snoozed, TimeSpan.FromMinutes(5), null), (completion.Outcome, completion.RetryDelay, completion.Error));
        Assert.Equal("Snoozed for 00:05:00; the attempt is not charged.", completion.Message);
        Assert.Equal((new JobLease(7, 3), "worker-1"), (completion.Lease, completion.Actor));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(366 * 24 * 3600)]
    public async Task A_snooze_out_of_range_is_an_argument_error_and_the_attempt_fails_as_transient(long seconds)
    {
        var completion = await Executor().RunAsync(Run(new SnoozeJob(DelaySeconds: seconds)));

        Assert.Equal(JobOutcome.Retry, completion?.Outcome);
        Assert.StartsWith("System.ArgumentOutOfRangeException: A snooze is from zero to 365 days.", completion?.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_that_throws_something_else_after_snoozing_still_snoozes()
    {
        var completion = await Executor().RunAsync(Run(new SnoozeJob(DelaySeconds: 10, ThrowAfter: true)));

        Assert.Equal((JobOutcome.Snoozed, TimeSpan.FromSeconds(10)), (completion?.Outcome, completion?.RetryDelay));
    }

    [Fact]
    public async Task A_snooze_during_shutdown_is_kept_rather_than_released()
    {
        var run = Run(new SnoozeJob(DelaySeconds: 10));
        run.Stop(StopReason.Shutdown);

        var completion = await Executor().RunAsync(run);

        Assert.Equal(JobOutcome.Snoozed, completion?.Outcome);
    }

    [Fact]
    public async Task A_snooze_after_a_requested_cancellation_ends_the_job_cancelled()
    {
        var run = Run(new SnoozeJob(DelaySeconds: 10));
        run.Stop(StopReason.CancelRequested);

        var completion = await Executor().RunAsync(run);

        Assert.Equal(JobOutcome.Cancelled, completion?.Outcome);
    }

    [Fact]
    public async Task A_snooze_after_the_lease_was_lost_writes_nothing()
    {
        var run = Run(new SnoozeJob(DelaySeconds: 10));
        run.Stop(StopReason.LeaseLost);

        Assert.Null(await Executor().RunAsync(run));
    }

    [Fact]
    public void The_snooze_exception_says_which_job_and_for_how_long()
    {
        var e = Assert.Throws<JobSnoozedException>(() => Context().Snooze(TimeSpan.FromSeconds(90)));

        Assert.Equal((7L, TimeSpan.FromSeconds(90)), (e.JobId, e.Delay));
        Assert.IsAssignableFrom<OperationCanceledException>(e);
    }

    private static JobContext Context()
    {
        var run = Run(new SnoozeJob(0));
        return new JobContext<SnoozeJob>(run, null!, new System.Text.Json.JsonSerializerOptions(), new ServiceCollection().BuildServiceProvider(), new SnoozeJob(0), run.Stopping.Token);
    }

    private static JobExecutor Executor() => ExecutorHarness.Executor<SnoozeJob, SnoozeHandler>("snooze");

    private static RunningJob Run(SnoozeJob payload) => ExecutorHarness.Run("snooze", payload);

    public sealed record SnoozeJob(long DelaySeconds, bool ThrowAfter = false);

    public sealed class SnoozeHandler : IJobHandler<SnoozeJob>
    {
        public Task HandleAsync(JobContext<SnoozeJob> job, CancellationToken cancellationToken)
        {
            try
            {
                job.Snooze(TimeSpan.FromSeconds(job.Payload.DelaySeconds));
            }
            catch (JobSnoozedException) when (job.Payload.ThrowAfter)
            {
                throw new InvalidOperationException("something else");
            }
            return Task.CompletedTask;
        }
    }
}
