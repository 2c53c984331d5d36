namespace Conveyor.Server;

/// <summary>
/// Settings of the HTTP API, bound from the <c>Conveyor:Server</c> configuration section (appsettings, environment
/// variables such as <c>Conveyor__Server__RateLimit__PermitsPerSecond</c>) and adjustable in code.
/// </summary>
public sealed class ConveyorServerOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Conveyor:Server";

    /// <summary>The largest request body accepted, in bytes. Default 4 MiB (a batch of payloads); 1 KiB to 256 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The most jobs in one batch submission. Default 1,000.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Per-key request rate limit: a token bucket refilled at this many requests per second. Default 50.</summary>
    public int RateLimitPermitsPerSecond { get; set; } = 50;

    /// <summary>Per-key burst: the bucket's size. Default 100.</summary>
    public int RateLimitBurst { get; set; } = 100;

    /// <summary>How long a verified API key is trusted before the store is asked again (revocations through another server take this long at most). Default 10 seconds.</summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// While live-update clients are connected, how often the change feed reads the store even without a signal, to
    /// see changes made by other processes that sent none. Default 1 second.
    /// </summary>
    public TimeSpan FeedFallbackInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often an idle live-update stream sends a comment line, so proxies keep it open. Default 15 seconds.</summary>
    public TimeSpan StreamKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the queue and stuck-job gauges are refreshed from the store. Default 5 seconds.</summary>
    public TimeSpan GaugeRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When the store holds no API key yet, create an admin key at start-up and print it once. Default true.</summary>
    public bool BootstrapAdminKey { get; set; } = true;
}
