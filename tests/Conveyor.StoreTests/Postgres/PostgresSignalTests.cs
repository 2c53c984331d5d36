using Conveyor.Postgres;
using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>LISTEN/NOTIFY: what one store instance commits wakes every other instance on the same schema, once.</summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresSignalTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly PostgresStoreFactory _factory = new();
    private readonly FakeTimeProvider _time = new(Start);
    private PostgresJobStore _one = null!;
    private PostgresJobStore _other = null!;

    public async Task InitializeAsync()
    {
        _one = (PostgresJobStore)await _factory.CreateAsync(_time);
        _other = (PostgresJobStore)_factory.OpenSibling(_one, _time);
        await Task.WhenAll(_one.ListeningAsync(), _other.ListeningAsync()).WaitAsync(Patience);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static NewJob Job(string queue, TimeSpan delay = default) =>
        new() { Kind = "k", Queue = queue, Payload = "{}", MaxAttempts = 3, Principal = JobPrincipal.System, Delay = delay };

    private static TaskCompletionSource<T> Expect<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task An_insert_in_one_store_wakes_the_other_with_its_queue_and_ready_time()
    {
        var woken = Expect<(string, DateTimeOffset)>();
        _other.Signals.JobsReady += (queue, at) => woken.TrySetResult((queue, at));

        await _one.JobsInsertAsync(new JobsInsertParams([Job("mail", TimeSpan.FromMinutes(2))]), CancellationToken.None);

        Assert.Equal(("mail", Start.AddMinutes(2)), await woken.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_cancellation_requested_in_one_store_reaches_the_store_whose_worker_runs_the_job()
    {
        var id = (await _one.JobsInsertAsync(new JobsInsertParams([Job("default")]), CancellationToken.None))[0].JobId;
        Assert.Single(await _other.JobsClaimAsync(new JobsClaimParams("default", 1, "node-2", TimeSpan.FromSeconds(30)), CancellationToken.None));
        var cancelled = Expect<long>();
        _other.Signals.CancelRequested += id => cancelled.TrySetResult(id);

        Assert.Equal(JobCancelOutcome.CancelRequested, (await _one.JobCancelAsync(new JobCancelParams(id, "ops"), CancellationToken.None)).Outcome);

        Assert.Equal(id, await cancelled.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_schedule_added_or_resumed_in_one_store_wakes_the_schedulers_of_the_other()
    {
        var woken = new SemaphoreSlim(0);
        _other.Signals.SchedulesChanged += () => woken.Release();
        var nightly = new ScheduleDefinition { Name = "nightly", Cron = "0 2 * * *", Kind = "k", Payload = "{}" };

        await _one.ScheduleUpsertAsync(new ScheduleUpsertParams(nightly, ScheduleSource.Api, Start.AddHours(17)), CancellationToken.None);
        Assert.True(await woken.WaitAsync(Patience));
        await _one.ScheduleSetPausedAsync(new ScheduleSetPausedParams("nightly", true, "ops"), CancellationToken.None);
        Assert.True(await woken.WaitAsync(Patience));
        await _one.ScheduleSetPausedAsync(new ScheduleSetPausedParams("nightly", false, "ops", Start.AddHours(18)), CancellationToken.None);
        Assert.True(await woken.WaitAsync(Patience));
    }

    [Fact]
    public async Task An_insert_tells_its_own_store_at_once_and_the_other_store_by_notification_that_events_were_appended()
    {
        var heard = Expect<bool>();
        _other.Signals.EventsAppended += () => heard.TrySetResult(true);
        var own = 0;
        _one.Signals.EventsAppended += () => Interlocked.Increment(ref own);

        await _one.JobsInsertAsync(new JobsInsertParams([Job("mail")]), CancellationToken.None);

        Assert.Equal(1, Volatile.Read(ref own)); // raised in-process after the commit, before the call returned
        Assert.True(await heard.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_job_enqueued_in_the_callers_transaction_keeps_its_traceparent_and_every_store_hears_of_its_events()
    {
        const string trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var heardByOne = Expect<bool>();
        var heardByOther = Expect<bool>();
        _one.Signals.EventsAppended += () => heardByOne.TrySetResult(true);
        _other.Signals.EventsAppended += () => heardByOther.TrySetResult(true);
        await using (var connection = new NpgsqlConnection(_factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await _one.JobsInsertAsync(new JobsInsertParams([Job("traced") with { TraceParent = trace }]), transaction, CancellationToken.None);
            Assert.False(heardByOne.Task.IsCompleted); // nothing committed yet
            await transaction.CommitAsync();
        }

        await Task.WhenAll(heardByOne.Task, heardByOther.Task).WaitAsync(Patience);
        var claimed = await _other.JobsClaimAsync(new JobsClaimParams("traced", 1, "node-2", TimeSpan.FromSeconds(30)), CancellationToken.None);
        Assert.Equal(trace, Assert.Single(claimed).TraceParent);
    }

    [Fact]
    public async Task A_store_raises_its_own_signals_once_not_again_when_its_notification_comes_back()
    {
        var seen = new List<string>();
        var marker = Expect<bool>();
        _one.Signals.JobsReady += (queue, _) =>
        {
            lock (seen)
                seen.Add(queue);
            if (queue == "marker")
                marker.TrySetResult(true);
        };

        await _one.JobsInsertAsync(new JobsInsertParams([Job("own")]), CancellationToken.None);
        // Notifications arrive in commit order on one connection: once the other store's "marker" is raised here,
        // this store's own notification of "own" has been received (and ignored) before it.
        await _other.JobsInsertAsync(new JobsInsertParams([Job("marker")]), CancellationToken.None);
        await marker.Task.WaitAsync(Patience);

        lock (seen)
            Assert.Equal(["own", "marker"], seen);
    }

    [Fact]
    public async Task A_listener_whose_connection_dies_reconnects_wakes_every_queue_once_and_hears_later_notifications()
    {
        var anyQueue = Expect<DateTimeOffset>();
        var mail = Expect<bool>();
        _other.Signals.JobsReady += (queue, at) =>
        {
            if (queue == StoreSignals.AnyQueue)
                anyQueue.TrySetResult(at);
            else if (queue == "mail")
                mail.TrySetResult(true);
        };

        await using (var admin = new NpgsqlConnection(_factory.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @name", admin);
            kill.Parameters.AddWithValue("name", $"conveyor-listener {_other.Origin}");
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        // Announcements made while it was down are lost, so the reconnected listener wakes every queue once.
        Assert.Equal(Start, await anyQueue.Task.WaitAsync(Patience));
        await _one.JobsInsertAsync(new JobsInsertParams([Job("mail")]), CancellationToken.None);
        Assert.True(await mail.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_batch_sends_one_notification_per_queue_not_one_per_job()
    {
        var seen = new List<string>();
        var marker = Expect<bool>();
        _other.Signals.JobsReady += (queue, _) =>
        {
            lock (seen)
                seen.Add(queue);
            if (queue == "marker")
                marker.TrySetResult(true);
        };

        await _one.JobsInsertAsync(new JobsInsertParams([.. Enumerable.Range(0, 50).Select(i => Job(i % 2 == 0 ? "even" : "odd"))]), CancellationToken.None);
        await _one.JobsInsertAsync(new JobsInsertParams([Job("marker")]), CancellationToken.None);
        await marker.Task.WaitAsync(Patience);

        lock (seen)
            Assert.Equal(["even", "marker", "odd"], seen.Order(StringComparer.Ordinal));
    }
}
