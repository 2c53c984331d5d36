using System.CommandLine;
using Conveyor.Samples;
using Conveyor.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor serve</c>: runs the standalone server (<see cref="ConveyorServerHost"/>) until Ctrl+C. On the first start
/// against an empty store the server prints an admin key once; this command then prints where it listens.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var store = StoreSetting.StoreOption();
        var schema = StoreSetting.SchemaOption();
        var urls = new Option<string?>("--urls") { Description = $"Where to listen, ';'-separated [default: {ConveyorServerHost.DefaultUrl}]", HelpName = "urls" };
        var samples = new Option<bool>("--samples")
        {
            Description = "Register the sample queues and job types (report.generate, inventory.sync, invoice.send, lab.verify); on an empty store, also submit a demonstration mix of them",
        };
        var command = new Command("serve", "Run the Conveyor server; other arguments (--Conveyor:Queues:reports:Concurrency=4, ...) are configuration")
        {
            store, schema, urls, samples,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(cli.Local(async (result, cancellationToken) =>
        {
            var args = StoreSetting.ConfigurationArguments(result, store, schema);
            if (result.GetValue(urls) is { } u)
                args.Add($"--urls={u}");
            var withSamples = result.GetValue(samples);
            await using var app = ConveyorServerHost.Build([.. args], withSamples ? o => SampleJobs.AddTo(o) : null);
            var storeSetting = StoreSetting.FromConfiguration(app.Configuration, result, schema);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new CliException(ExitCodes.Failure, $"the server did not start: {Http.ApiErrors.Sentence(e.Message.ReplaceLineEndings(" "))}");
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            await cli.Out.WriteLineAsync($"Conveyor is listening on {string.Join(", ", addresses)} (store {StoreSetting.Describe(storeSetting, app.Configuration["Conveyor:Postgres:Schema"])}{(withSamples ? ", sample job types" : "")}); Ctrl+C stops it.");
            if (withSamples)
                await SubmitDemoOnceAsync(cli, app.Services.GetRequiredService<IJobClient>(), cancellationToken);
            await cli.Out.FlushAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);   // Ctrl+C (the host's own or the caller's token) stops it gracefully
            return ExitCodes.Success;
        }));
        return command;
    }

    // A newcomer's first start shows jobs at work at once; a store that already holds jobs is left alone.
    private static async Task SubmitDemoOnceAsync(CliContext cli, IJobClient client, CancellationToken cancellationToken)
    {
        if ((await client.ListAsync(new JobQuery { Limit = 1 }, cancellationToken)).Jobs.Count > 0)
            return;
        var admin = JobPrincipal.For("admin", null, "admin");
        var jobs = await SampleJobs.SubmitDemoAsync(client, admin, cancellationToken);
        var skill = await client.EnqueueAsync(new CreateSkill("triage bug reports"), new EnqueueOptions { Principal = admin }, cancellationToken);
        await cli.Out.WriteLineAsync($"Submitted {jobs.Count + 1} sample jobs as 'admin' (the first key's user): {string.Join(", ", jobs.Select(j => $"{j.Id} {j.Label}"))}, {skill.JobId} skill creation (asks you a question).");
        await cli.Out.WriteLineAsync($"Follow one with 'conveyor watch {jobs[0].Id}', list them with 'conveyor ls', answer the skill's question with 'conveyor inbox' and 'conveyor answer <id>'.");
    }
}
