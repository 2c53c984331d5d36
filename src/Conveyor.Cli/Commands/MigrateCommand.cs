using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Conveyor.Postgres;
using Conveyor.Server;
using Conveyor.Sqlite;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor migrate --store ...</c>: creates or upgrades a store's schema directly, without a server.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext cli)
    {
        var store = new Option<string>("--store") { Description = $"The store: {StoreSetting.Help}", Required = true, HelpName = "store" };
        var command = new Command("migrate", "Create or upgrade a store's schema to this version's, and print what changed") { store };
        command.SetAction(cli.Local(async (result, cancellationToken) =>
        {
            var setting = result.GetValue(store)!;
            var options = new ConveyorOptions();
            StoreSetting.Validate(setting);
            ConveyorServerHost.UseStore(options, setting);
            await using var services = new ServiceCollection().AddSingleton(TimeProvider.System).BuildServiceProvider();
            var shown = StoreSetting.Describe(setting);
            await using var jobStore = options.StoreFactory!(services);
            try
            {
                var before = await SchemaVersionAsync(jobStore, cancellationToken);
                await jobStore.MigrateAsync(cancellationToken);
                var after = await SchemaVersionAsync(jobStore, cancellationToken);
                await cli.Out.WriteLineAsync(before == after
                    ? $"{shown}: the schema is up to date (version {after})"
                    : $"{shown}: migrated the schema from version {before} to {after}");
                return ExitCodes.Success;
            }
            catch (ConveyorException e)
            {
                throw new CliException(ExitCodes.Failure, $"{shown}: {Http.ApiErrors.Sentence(e.Message)}");
            }
            catch (DbException e) when (e.InnerException is SocketException or TimeoutException || e is { InnerException: IOException })
            {
                throw new CliException(ExitCodes.Unreachable, $"cannot reach {shown} ({Http.ApiErrors.Sentence(e.InnerException!.Message)})");
            }
            catch (DbException e)
            {
                throw new CliException(ExitCodes.Failure, $"{shown}: {Http.ApiErrors.Sentence(e.Message.ReplaceLineEndings(" "))}");
            }
        }));
        return command;
    }

    private static Task<int> SchemaVersionAsync(IJobStore store, CancellationToken cancellationToken) => store switch
    {
        SqliteJobStore sqlite => sqlite.SchemaVersionAsync(cancellationToken),
        PostgresJobStore postgres => postgres.SchemaVersionAsync(cancellationToken),
        _ => throw new CliException(ExitCodes.Failure, $"cannot read the schema version of a {store.GetType().Name}"),
    };
}
