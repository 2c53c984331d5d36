using Conveyor.Server.Auth;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Hosting;

/// <summary>On first start (no API key in the store), creates an admin key and prints it once, to the console.</summary>
internal sealed class AdminKeyBootstrap(ApiKeyService keys, IOptions<ConveyorServerOptions> options, ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    /// <summary>The key created on this start, if any (tests read it; it is never stored).</summary>
    public string? CreatedKey { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.BootstrapAdminKey || (await keys.ListAsync(cancellationToken)).Count > 0)
            return;
        var (record, key) = await keys.CreateAsync("bootstrap admin", "admin", null, [Roles.Admin], "conveyor", cancellationToken);
        CreatedKey = key;
        logger.LogInformation("Created the first admin API key {KeyId}", record.Id);
        await Console.Out.WriteLineAsync($"""

            Conveyor created the first admin API key. It is shown only this once; keep it safe:

                {key}

            Use it as 'Authorization: Bearer <key>' or with the CLI: export CONVEYOR_KEY={key}

            """.AsMemory(), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
