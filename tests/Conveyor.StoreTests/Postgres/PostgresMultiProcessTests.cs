using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The multi-process test runs alone: it starts several processes and would slow (and be slowed by) the rest.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultiProcessCollection
{
    public const string Name = "multi-process";
}

/// <summary>
/// Several worker processes (<c>tests/Conveyor.ProcessWorker</c>) on one PostgreSQL schema, one killed with SIGKILL in
/// the middle of the run and replaced: every job still succeeds, and its effect, written in the job's transaction,
/// exists exactly once.
/// </summary>
[Collection(MultiProcessCollection.Name)]
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresMultiProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int JobCount = 20_000;
    private const int WorkerCount = 4;
    private const int Concurrency = 16;
    private const int KillAfterSucceeded = JobCount / 4;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    private readonly PostgresStoreFactory _factory = new();
    private readonly List<WorkerProcess> _workers = [];
    private IHost? _producer;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
            worker.Dispose();
        if (_producer is not null)
        {
            await _producer.StopAsync();
            _producer.Dispose();
        }
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Four_worker_processes_one_killed_mid_run_finish_every_job_with_its_effect_exactly_once()
    {
        var clock = Stopwatch.StartNew();
        var schema = _factory.NewLocation();
        var client = await StartProducerAsync(schema);
        await using var db = new NpgsqlConnection(_factory.ConnectionString);
        await db.OpenAsync();
        await ExecAsync(db, $"CREATE TABLE \"{schema}\".effects (job_id bigint NOT NULL, attempt int NOT NULL, worker text NOT NULL)");

        for (var i = 0; i < WorkerCount; i++)
            _workers.Add(WorkerProcess.Start(WorkerArguments(schema, $"worker-{i}")));

        // 20,000 jobs of 0-5 ms each, in batches of 1,000 while the workers already drain.
        var random = new Random(20_000);
        for (var batch = 0; batch < JobCount / 1000; batch++)
            await client.EnqueueManyAsync(Enumerable.Range(0, 1000).Select(_ => new EffectJob(random.Next(0, 6))));
        output.WriteLine($"{JobCount} jobs enqueued after {clock.Elapsed.TotalSeconds:0.0} s");

        // Kill worker-0 with SIGKILL once a quarter of the jobs succeeded, in the middle of attempts: it is frozen
        // (SIGSTOP) first and killed only if, once its statements have settled, it holds running jobs.
        var victim = _workers[0];
        await WaitUntilAsync(db, schema, $"SELECT count(*) >= {KillAfterSucceeded} FROM \"{schema}\".jobs WHERE state = 4", $"{KillAfterSucceeded} jobs succeeded");
        var held = 0L;
        while (held == 0)
        {
            await WaitUntilAsync(db, schema, $"SELECT EXISTS (SELECT 1 FROM \"{schema}\".jobs WHERE state = 2 AND worker_id = '{victim.Id}')", $"{victim.Id} holds a job");
            victim.Freeze();
            // Its statements in progress finish, or wait for a lock or for the frozen client; nothing it holds changes after that.
            await WaitUntilAsync(db, schema, $"""
                SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '{victim.Id}' AND state = 'active'
                                     AND coalesce(wait_event_type, '') NOT IN ('Lock', 'Client'))
                """, $"{victim.Id}'s statements settled");
            held = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".jobs WHERE state = 2 AND worker_id = '{victim.Id}'");
            if (held == 0)
                victim.Thaw();
        }
        victim.Kill();
        output.WriteLine($"killed {victim.Id} after {clock.Elapsed.TotalSeconds:0.0} s holding {held} running jobs");
        _workers.Add(WorkerProcess.Start(WorkerArguments(schema, "worker-replacement")));

        await WaitUntilAsync(db, schema, $"SELECT count(*) = {JobCount} FROM \"{schema}\".jobs WHERE state = 4", $"all {JobCount} jobs succeeded");
        output.WriteLine($"all jobs succeeded after {clock.Elapsed.TotalSeconds:0.0} s");

        var jobs = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".jobs");
        var effects = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".effects");
        var distinct = await CountAsync(db, $"SELECT count(DISTINCT job_id) FROM \"{schema}\".effects");
        var missing = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".jobs AS j WHERE NOT EXISTS (SELECT 1 FROM \"{schema}\".effects AS e WHERE e.job_id = j.id)");
        var strangers = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".effects AS e WHERE NOT EXISTS (SELECT 1 FROM \"{schema}\".jobs AS j WHERE j.id = e.job_id)");
        var stuck = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".job_events WHERE kind = 10");
        // Attempts the killed worker had started and a reaper recovered (a stuck event for the same job and attempt).
        var recovered = await CountAsync(db, $"""
            SELECT count(*) FROM "{schema}".job_events AS s JOIN "{schema}".job_events AS b
              ON b.job_id = s.job_id AND b.attempt = s.attempt AND b.kind = 1 AND b.actor = '{victim.Id}'
            WHERE s.kind = 10
            """);
        var retried = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".job_events WHERE kind = 5");
        var succeededEvents = await CountAsync(db, $"SELECT count(*) FROM \"{schema}\".job_events WHERE kind = 4");
        output.WriteLine($"jobs {jobs}, effects {effects} ({distinct} distinct), transient failures {retried}, " +
            $"attempts recovered by a reaper {stuck}, of them started by the killed worker {recovered}");

        Assert.Equal(JobCount, jobs);
        Assert.Equal((JobCount, JobCount, 0L, 0L), (effects, distinct, missing, strangers));
        Assert.Equal(JobCount, succeededEvents);
        Assert.True(recovered > 0, $"{victim.Id} held {held} running jobs when it was killed, but no attempt it started was recovered by a reaper.");
        Assert.True(retried > 0, "No transient failure happened; the handler's failure rate is not in effect.");
    }

    private async Task<IJobClient> StartProducerAsync(string schema)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddConveyor(o =>
        {
            _factory.UseStore(o, schema);
            o.RunWorkers = false;
            o.AddJob<EffectJob, NotRunHere>(EffectJob.Kind, j => j.Retry.MaxAttempts = 25);
        });
        _producer = builder.Build();
        await _producer.StartAsync();
        var client = _producer.Services.GetRequiredService<IJobClient>();
        await client.GetAsync(0); // migrates the schema before the workers start
        return client;
    }

    private List<string> WorkerArguments(string schema, string workerId)
    {
        // A bounded pool per process, so that five processes stay well inside the server's connection limit.
        // The application name tells the worker's sessions apart in pg_stat_activity.
        var connection = new NpgsqlConnectionStringBuilder(_factory.ConnectionString) { MaxPoolSize = 40, ApplicationName = workerId }.ConnectionString;
        return ["--connection", connection, "--schema", schema, "--worker-id", workerId, "--concurrency", $"{Concurrency}",
                "--lease-ms", $"{(int)Lease.TotalMilliseconds}", "--failure-rate", "0.1"];
    }

    /// <summary>Polls a boolean query until it holds; fails after <see cref="Deadline"/> with the job counts and the workers' output.</summary>
    private async Task WaitUntilAsync(NpgsqlConnection db, string schema, string condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using (var check = new NpgsqlCommand(condition, db))
            {
                if ((bool)(await check.ExecuteScalarAsync())!)
                    return;
            }
            if (deadline.Elapsed > Deadline)
            {
                var states = new List<string>();
                await using (var count = new NpgsqlCommand($"SELECT state, count(*) FROM \"{schema}\".jobs GROUP BY state ORDER BY state", db))
                await using (var r = await count.ExecuteReaderAsync())
                {
                    while (await r.ReadAsync())
                        states.Add($"state {r.GetInt16(0)}: {r.GetInt64(1)}");
                }
                throw new Xunit.Sdk.XunitException(
                    $"Not reached within {Deadline}: {what}. Jobs by state: {string.Join(", ", states)}.\n" +
                    string.Join("\n", _workers.Select(w => w.Describe())));
            }
            // A condition wait: the workers move the jobs on; read again shortly (not too often: counting costs the
            // database, which the workers need).
            await Task.Delay(250);
        }
    }

    private static async Task<long> CountAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The worker's payload, as JSON it is the same contract: the job kind and <c>{"durationMs": n}</c>.</summary>
    public sealed record EffectJob(int DurationMs)
    {
        public const string Kind = "effect.write";
    }

    /// <summary>This process only produces; the worker processes run the jobs.</summary>
    public sealed class NotRunHere : IJobHandler<EffectJob>
    {
        public Task HandleAsync(JobContext<EffectJob> job, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The producer runs no jobs.");
    }

    /// <summary>One worker process, with the last lines it printed (for failure messages); killed when disposed.</summary>
    internal sealed class WorkerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        private WorkerProcess(string id, Process process)
        {
            Id = id;
            _process = process;
        }

        public string Id { get; }

        /// <summary>True once the process printed its "ready" line (its worker host, scheduler included, runs).</summary>
        public bool IsReady => _lines.Contains($"ready {Id}");

        public static WorkerProcess Start(List<string> arguments)
        {
            var start = new ProcessStartInfo(DotnetHost())
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(WorkerDll());
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            var process = new Process { StartInfo = start };
            var worker = new WorkerProcess(arguments[arguments.IndexOf("--worker-id") + 1], process);
            process.OutputDataReceived += (_, e) => worker.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => worker.Keep(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return worker;
        }

        /// <summary>SIGKILL: no shutdown, no release; its leases simply expire.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        /// <summary>SIGSTOP: the process stops where it is, its connections stay open.</summary>
        public void Freeze() => Signal(SigStop);

        /// <summary>SIGCONT: it goes on where it stopped.</summary>
        public void Thaw() => Signal(SigCont);

        private const int SigStop = 19;
        private const int SigCont = 18;

        private void Signal(int signal)
        {
            if (SendSignal(_process.Id, signal) != 0)
                throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int SendSignal(int pid, int signal);

        public string Describe() =>
            $"--- {Id}: {(_process.HasExited ? $"exited with {_process.ExitCode}" : "running")}; last output:\n{string.Join("\n", _lines)}";

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                    Kill();
            }
            catch (InvalidOperationException)
            {
                // It never started or already went away.
            }
            _process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is null)
                return;
            _lines.Enqueue(line);
            while (_lines.Count > 40 && _lines.TryDequeue(out _))
            {
                // Keep the last lines only.
            }
        }

        /// <summary>The worker's build output next to this test's: tests/Conveyor.ProcessWorker/bin/&lt;configuration&gt;/&lt;framework&gt;.</summary>
        private static string WorkerDll()
        {
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = framework.Parent!;
            var tests = configuration.Parent!.Parent!.Parent!;
            var dll = Path.Combine(tests.FullName, "Conveyor.ProcessWorker", "bin", configuration.Name, framework.Name, "Conveyor.ProcessWorker.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"The worker process is not built at {dll}; build the solution (Conveyor.StoreTests references it).", dll);
        }

        /// <summary>The dotnet host running this test (so the worker uses the same runtime), else the one on the PATH.</summary>
        private static string DotnetHost() =>
            Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : "dotnet";
    }
}
