using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor watch &lt;id&gt;</c>: a live progress line until the job ends; exit 0 only if it succeeded.</summary>
internal static class WatchCommand
{
    public static Command Create(CliContext cli)
    {
        var id = CommonArguments.JobId("The job to watch");
        var command = new Command("watch", "Show a job's progress live until it ends; exits 0 if it succeeded, 1 otherwise") { id };
        command.SetAction(cli.Remote(async run =>
        {
            var jobId = run.Value(id);
            if (run.Json)
            {
                // One event per line, as the server sent it, then the finished job.
                var done = await JobFollower.FollowAsync(run.Api, jobId, (_, raw) => run.Out.WriteLineAsync(raw), run.CancellationToken);
                await run.PrintJsonAsync(await run.Api.GetAsync($"v1/jobs/{CommonArguments.Id(jobId)}", $"job {CommonArguments.Id(jobId)}", run.CancellationToken));
                return done.State == "succeeded" ? ExitCodes.Success : ExitCodes.Failure;
            }
            var line = new ProgressLine(run.Out, run.Cli.Interactive, jobId);
            JobModel job;
            try
            {
                job = await JobFollower.FollowAsync(run.Api, jobId, (e, _) => line.ApplyAsync(e), run.CancellationToken);
            }
            finally
            {
                await line.FinishAsync();
            }
            return await CommonArguments.ReportEndAsync(run.Out, job);
        }));
        return command;
    }
}
