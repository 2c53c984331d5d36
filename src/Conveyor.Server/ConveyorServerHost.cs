using Conveyor.Server.Hosting;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Conveyor.Server;

/// <summary>
/// The standalone server: a web app configured from appsettings, environment variables and the command line, with
/// Conveyor's store, queues and HTTP API. <c>conveyor serve</c> runs it.
/// </summary>
/// <remarks>
/// Settings: <c>Conveyor:Store</c> is <c>sqlite:&lt;path&gt;</c> (default <c>sqlite:conveyor.db</c>) or
/// <c>postgres:&lt;connection string&gt;</c> (with <c>Conveyor:Postgres:Schema</c>, default <c>conveyor</c>). The worker
/// settings of <see cref="ConveyorOptions"/> bind by their names under <c>Conveyor:</c>: <c>WorkerId</c>,
/// <c>RunWorkers</c> (false: an API-only node), <c>MigrateOnStart</c>, <c>LeaseDuration</c>, <c>HeartbeatInterval</c>,
/// <c>PollInterval</c>, <c>ReaperInterval</c>, <c>InteractionSweepInterval</c>, <c>ShutdownTimeout</c> (durations as
/// <c>[d.]hh:mm:ss</c>), <c>MaxClaimBatch</c>, <c>MaxPayloadBytes</c>, and <c>Conveyor:Retention:SucceededFor</c>,
/// <c>:CancelledFor</c>, <c>:FailedFor</c> (a duration, or <c>forever</c>), <c>:Interval</c>, <c>:BatchSize</c>.
/// <c>Conveyor:Queues:&lt;name&gt;:Concurrency</c>, <c>:MaxWaiting</c> and <c>:RetryAfterWhenFullSeconds</c> configure
/// queues; <c>Conveyor:MaxWaitingPerTenant</c> and <c>Conveyor:RetryAfterWhenTenantFullSeconds</c> bound each tenant's
/// waiting jobs; <c>Conveyor:Server:*</c> binds <see cref="ConveyorServerOptions"/>. A value that does not parse, or
/// breaks a rule of the options, fails the start with a message naming its key (every problem at once). With
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces are exported by OTLP. <c>Logging:LogLevel:Microsoft.AspNetCore</c>
/// defaults to <c>Warning</c> (no line per request); any configuration source may set it.
/// The listen URLs come from <c>Urls</c> (or <c>ASPNETCORE_URLS</c>, <c>--urls</c>); without any, the server listens on
/// <see cref="DefaultUrl"/>, loopback only.
/// </remarks>
public static class ConveyorServerHost
{
    /// <summary>Where the server listens when no URL is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    // ASP.NET Core logs two lines per request at Information: a busy node's log would be only that.
    private static readonly Dictionary<string, string?> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    /// <summary>Builds the server app, ready to run.</summary>
    /// <param name="args">Command-line configuration (<c>--Conveyor:Store=...</c>, <c>--urls=...</c>).</param>
    /// <param name="configure">Adds job types and anything else to Conveyor's options, after the configuration is applied.</param>
    /// <exception cref="ArgumentException">The store setting names no known store.</exception>
    public static WebApplication Build(string[] args, Action<ConveyorOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        // Defaults go first, below appsettings, the environment and the command line, so any of them overrides these.
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
        if (string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey]) && !configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
            builder.WebHost.UseUrls(DefaultUrl);
        var store = configuration["Conveyor:Store"] ?? "sqlite:conveyor.db";
        var settings = new ConveyorConfiguration(configuration);
        builder.Services.AddConveyor(o =>
        {
            UseStore(o, store, configuration["Conveyor:Postgres:Schema"]);
            settings.ApplyTo(o);
            configure?.Invoke(o);
        });
        builder.Services.AddSingleton<IValidateOptions<ConveyorOptions>>(new ConveyorConfiguration.Validator(settings));
        // The host must outlast the drain it runs: a configured ShutdownTimeout, then the release of what still runs
        // (ConveyorOptions.ShutdownTimeout asks for 10 s more), or the release is cut short and leases lapse instead.
        var drain = new ConveyorOptions();
        settings.ApplyTo(drain);
        builder.Services.Configure<HostOptions>(h =>
        {
            if (h.ShutdownTimeout < drain.ShutdownTimeout + TimeSpan.FromSeconds(10))
                h.ShutdownTimeout = drain.ShutdownTimeout + TimeSpan.FromSeconds(10);
        });
        builder.Services.AddConveyorServer();
        // Traces leave the standalone server only when an OTLP endpoint is configured (the standard OTEL_* settings):
        // a request's span, the submission's send span under it, and each attempt's process span linked to that.
        if (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().WithTracing(t => t
                .AddSource(ConveyorTelemetry.ActivitySourceName)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }
        var app = builder.Build();
        app.MapConveyor();
        return app;
    }

    /// <summary>Configures the store named by a <c>sqlite:&lt;path&gt;</c> or <c>postgres:&lt;connection string&gt;</c> setting.</summary>
    /// <exception cref="ArgumentException">The setting names no known store.</exception>
    public static ConveyorOptions UseStore(ConveyorOptions options, string store) => UseStore(options, store, null);

    private static ConveyorOptions UseStore(ConveyorOptions options, string store, string? postgresSchema)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        if (store.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) && store.Length > "sqlite:".Length)
            return options.UseSqlite(store["sqlite:".Length..]);
        if (store.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase) && store.Length > "postgres:".Length)
            return options.UsePostgres(store["postgres:".Length..], p =>
            {
                if (!string.IsNullOrEmpty(postgresSchema))
                    p.Schema = postgresSchema;
            });
        throw new ArgumentException($"Conveyor:Store must be 'sqlite:<path>' or 'postgres:<connection string>', not '{store}'.", nameof(store));
    }
}
