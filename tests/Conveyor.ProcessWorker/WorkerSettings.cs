using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Conveyor.ProcessWorker;

/// <summary>The worker's settings, from its command line (<c>--name value</c>).</summary>
public sealed record WorkerSettings(string ConnectionString, string Schema, string WorkerId, int Concurrency, TimeSpan Lease, double FailureRate)
{
    /// <summary>With <c>--schedule "&lt;cron&gt;"</c>, the process also defines the recurring schedule "every-tick" of effect jobs (schedule mode).</summary>
    public string? Schedule { get; init; }

    public static WorkerSettings From(IConfiguration configuration) => new(
        Required(configuration, "connection"),
        Required(configuration, "schema"),
        Required(configuration, "worker-id"),
        int.Parse(configuration["concurrency"] ?? "16", CultureInfo.InvariantCulture),
        TimeSpan.FromMilliseconds(int.Parse(configuration["lease-ms"] ?? "3000", CultureInfo.InvariantCulture)),
        double.Parse(configuration["failure-rate"] ?? "0.1", CultureInfo.InvariantCulture))
    {
        Schedule = configuration["schedule"] is { Length: > 0 } cron ? cron : null,
    };

    private static string Required(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : throw new ArgumentException($"--{name} is required.");
}
