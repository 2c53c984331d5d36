using Conveyor.Server;
using Conveyor.Server.Api;
using Conveyor.Server.Auth;
using Conveyor.Server.Feed;
using Conveyor.Server.Hosting;
using Conveyor.Server.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Conveyor's HTTP API in a service collection.</summary>
public static class ConveyorServerServiceCollectionExtensions
{
    /// <summary>
    /// Adds what <c>MapConveyor</c> needs: API-key authentication, the per-key rate limit, the change feed behind the
    /// live updates, the store gauges and the Prometheus exporter of Conveyor's metrics, and the OpenAPI document.
    /// Conveyor itself (<c>AddConveyor</c>, with a store) must be added too. Options bind from
    /// <see cref="ConveyorServerOptions.SectionName"/> and are validated at start-up.
    /// </summary>
    public static IServiceCollection AddConveyorServer(this IServiceCollection services, Action<ConveyorServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ConveyorServerOptions>()
            .BindConfiguration(ConveyorServerOptions.SectionName)
            .Configure(configure ?? (_ => { }))
            .Validate(o => o.MaxRequestBodyBytes is >= 1024 and <= 256L * 1024 * 1024, "Conveyor:Server:MaxRequestBodyBytes must be between 1 KiB and 256 MiB.")
            .Validate(o => o.MaxBatchSize is >= 1 and <= 10_000, "Conveyor:Server:MaxBatchSize must be between 1 and 10,000.")
            .Validate(o => o.RateLimitPermitsPerSecond >= 1 && o.RateLimitBurst >= 1, "Conveyor:Server:RateLimitPermitsPerSecond and RateLimitBurst must be at least 1.")
            .Validate(o => o.KeyCacheDuration >= TimeSpan.Zero && o.FeedFallbackInterval > TimeSpan.Zero && o.StreamKeepAliveInterval > TimeSpan.Zero && o.GaugeRefreshInterval > TimeSpan.Zero,
                "Conveyor:Server intervals must be greater than zero (KeyCacheDuration may be zero).")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyService>();
        services.TryAddSingleton<RateLimitFilter>();
        services.TryAddSingleton<ChangeFeed>();
        services.TryAddSingleton<AdminKeyBootstrap>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChangeFeedHost>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StoreGauges>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AdminKeyBootstrapHost>());
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(o =>
        {
            o.AddPolicy(ConveyorEndpointRouteBuilderExtensions.KeyPolicy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
            o.AddPolicy(ConveyorEndpointRouteBuilderExtensions.OperationsPolicy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.Admin, Roles.Operator));
        });
        services.AddOpenApi("v1");
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(Conveyor.ConveyorTelemetry.MeterName, StoreGauges.MeterName)
            .AddPrometheusExporter());
        return services;
    }

    // The feed and the bootstrap are singletons that endpoints also use; these start them with the host.
    private sealed class ChangeFeedHost(ChangeFeed feed) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => feed.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => feed.StopAsync(cancellationToken);
    }

    private sealed class AdminKeyBootstrapHost(AdminKeyBootstrap bootstrap) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => bootstrap.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => bootstrap.StopAsync(cancellationToken);
    }
}
