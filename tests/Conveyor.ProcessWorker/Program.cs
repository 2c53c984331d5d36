// A Conveyor worker process on PostgreSQL for the multi-process tests. It runs one job type, "effect.write", whose
// handler writes one row into "<schema>".effects in the job's own transaction (transactional completion), waits the
// payload's duration, fails transiently at the given rate (before its commit, so the row is rolled back), and
// otherwise commits the row together with the job's success.
//
//   dotnet Conveyor.ProcessWorker.dll --connection "<Npgsql connection string>" --schema <schema> --worker-id <id>
//       [--concurrency 16] [--lease-ms 3000] [--failure-rate 0.1] [--schedule "<cron>"]
//
// With --schedule the process also defines the recurring schedule "every-tick" (that cron, effect jobs of 0 ms) and
// runs the scheduler, polling every 250 ms: the schedule test starts several such processes and counts the ticks.
//
// The schema must be migrated and hold the effects table (job_id bigint, attempt int, worker text). It prints
// "ready <worker id>" once the worker host runs, and runs until killed or its standard input closes.
using Conveyor;
using Conveyor.ProcessWorker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
var settings = WorkerSettings.From(builder.Configuration);
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(settings);
builder.Services.AddConveyor(o =>
{
    o.UsePostgres(settings.ConnectionString, p => p.Schema = settings.Schema);
    o.WorkerId = settings.WorkerId;
    o.MigrateOnStart = false;
    o.LeaseDuration = settings.Lease;
    o.HeartbeatInterval = settings.Lease / 3;
    o.ReaperInterval = TimeSpan.FromMilliseconds(500);
    o.PollInterval = TimeSpan.FromMilliseconds(250);
    o.ShutdownTimeout = TimeSpan.FromSeconds(2);
    o.Retention.SucceededFor = o.Retention.FailedFor = o.Retention.CancelledFor = null;
    o.AddQueue(ConveyorOptions.DefaultQueueName, q => q.Concurrency = settings.Concurrency);
    o.AddJob<EffectJob, EffectHandler>(EffectJob.Kind, j =>
    {
        j.Retry.BaseDelay = TimeSpan.FromMilliseconds(5);
        j.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
    });
    o.RunScheduler = settings.Schedule is not null;
    if (settings.Schedule is { } cron)
    {
        o.SchedulerPollInterval = TimeSpan.FromMilliseconds(250);
        o.AddRecurring("every-tick", cron, EffectJob.Kind, new EffectJob(0));
    }
});

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"ready {settings.WorkerId}");
// Stop gracefully when the parent closes standard input; a SIGKILL needs no cooperation.
await Task.Run(() => Console.In.ReadToEnd());
await host.StopAsync();
