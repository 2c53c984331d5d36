using Conveyor.Client;
using Conveyor.Configuration;
using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Conveyor in a service collection.</summary>
public static class ConveyorServiceCollectionExtensions
{
    /// <summary>
    /// Adds Conveyor: the <see cref="Conveyor.IJobClient"/>, the store chosen in <paramref name="configure"/>, and
    /// the worker host (a hosted service) that runs the registered handlers. Options are validated when the host
    /// starts, and every problem is reported at once.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddConveyor(o =>
    /// {
    ///     o.UseSqlite("Data Source=conveyor.db");
    ///     o.AddQueue("reports", q => q.Concurrency = 4);
    ///     o.AddJob&lt;ReportRequest, ReportHandler&gt;("report.generate", j => j.Queue = "reports");
    /// });
    /// </code>
    /// </example>
    public static IServiceCollection AddConveyor(this IServiceCollection services, Action<Conveyor.ConveyorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<Conveyor.ConveyorOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Conveyor.ConveyorOptions>, ConveyorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StoreAccessor>();
        services.TryAddSingleton<Conveyor.IJobClient, JobClient>();
        // Calling AddConveyor again adds configuration, never a second worker host.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConveyorWorker>());
        return services;
    }
}
