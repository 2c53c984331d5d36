using Conveyor;
using Conveyor.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A worker host on the embedded SQLite store: it submits a realistic mix of jobs and prints every event of
// their lives as it happens, then a summary, and exits.
var path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), $"conveyor-sample-{Environment.ProcessId}.db");
var builder = Host.CreateApplicationBuilder();
// The sample prints the jobs' own history; the engine's log lines would only repeat it.
builder.Logging.SetMinimumLevel(LogLevel.Error);
builder.Services.AddConveyor(o =>
{
    o.UseSqlite(path);
    SampleJobs.AddTo(o);
});
using var host = builder.Build();
await host.StartAsync();
var client = host.Services.GetRequiredService<IJobClient>();
var ada = JobPrincipal.For("ada", "acme", "submitter");

Console.WriteLine($"Conveyor sample on {path}\n");
var jobs = await SampleJobs.SubmitDemoAsync(client, ada);

// Follow every job's history until all have finished, printing events in the order they happened.
var seen = jobs.ToDictionary(j => j.Id, _ => 0L);
var labels = jobs.ToDictionary(j => j.Id, j => j.Label);
while (true)
{
    var fresh = new List<JobEvent>();
    foreach (var (id, _) in jobs)
    {
        var history = await client.GetHistoryAsync(id);
        fresh.AddRange(history.Where(e => e.Id > seen[id]));
        if (history.Count > 0)
            seen[id] = history[^1].Id;
    }
    foreach (var e in fresh.OrderBy(e => e.Id))
        Console.WriteLine($"{e.At:HH:mm:ss.fff}  job {e.JobId,-3} {labels[e.JobId],-26} {e.Kind,-15} attempt {e.Attempt}  {Shorten(e.Message)}");
    var states = await Task.WhenAll(jobs.Select(j => client.GetAsync(j.Id)));
    if (states.All(s => s!.State.IsTerminal()))
        break;
    await Task.Delay(200);
}

Console.WriteLine("\nSummary");
foreach (var (id, label) in jobs)
{
    var job = (await client.GetAsync(id))!;
    var took = job.FinishedAt - job.CreatedAt;
    Console.WriteLine($"  job {id,-3} {label,-26} {job.State.ToWireName(),-10} attempts {job.Attempt}  {took?.TotalSeconds,5:0.0} s  {Shorten(job.State == JobState.Succeeded ? job.Result : job.LastError)}");
}
var deadLetters = await client.ListAsync(new JobQuery { States = [JobState.Failed] });
Console.WriteLine($"\nDead-letter queue: {deadLetters.Jobs.Count} job(s). Requeue one with client.RequeueAsync(id).");
await host.StopAsync();

static string Shorten(string? text) =>
    text is null ? "" : (text.ReplaceLineEndings(" ") is var line && line.Length > 90 ? line[..90] + "…" : line);
