using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Scheduling;

namespace Conveyor;

/// <summary>
/// Everything <c>AddConveyor</c> configures. Validated when the host starts: every problem is reported at
/// once, each naming the setting and the rule it breaks.
/// </summary>
public sealed class ConveyorOptions
{
    /// <summary>The name of the queue that always exists.</summary>
    public const string DefaultQueueName = "default";

    private readonly Dictionary<string, QueueOptions> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobTypeOptions> _jobTypes = new(StringComparer.Ordinal);
    private readonly List<(string Pattern, string Queue)> _routes = [];
    private readonly Dictionary<string, int?> _tenantMaxWaiting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RecurringJob> _recurring = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LimitOptions> _limits = new(StringComparer.Ordinal);

    /// <summary>Creates the options with the default queue.</summary>
    public ConveyorOptions() => AddQueue(DefaultQueueName);

    /// <summary>Creates the store; set by a store package (<c>UseSqlite</c>) or by <see cref="UseStore"/>. Required.</summary>
    public Func<IServiceProvider, IJobStore>? StoreFactory { get; private set; }

    /// <summary>This process's worker id, recorded on every job it runs. Default: machine name, process id and a random suffix.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Whether this process runs workers. Default true; false makes it a producer only.</summary>
    public bool RunWorkers { get; set; } = true;

    /// <summary>
    /// Whether this process runs the scheduler of recurring schedules (when it also runs workers). Default true. Any
    /// number of processes may run it: each tick fires once however many do (docs/contract.md, schedules).
    /// </summary>
    public bool RunScheduler { get; set; } = true;

    /// <summary>
    /// The longest the scheduler sleeps before it looks for due schedules again: it sleeps less when a schedule is due
    /// sooner, and wakes when the store signals a change of a schedule (made by this process, or on PostgreSQL by any).
    /// Bounds how late a schedule changed by a process that cannot signal this one (another process on the same SQLite
    /// file) fires. Default 30 seconds; greater than zero.
    /// </summary>
    public TimeSpan SchedulerPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How late a tick may fire and still count as on time; an older tick was missed and follows its schedule's
    /// <see cref="MisfirePolicy"/>. Default 1 minute; greater than zero.
    /// </summary>
    public TimeSpan ScheduleMisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether the schema is created or upgraded on first use. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>How long a claim holds a job without a heartbeat. Default 30 seconds; must exceed <see cref="HeartbeatInterval"/>.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often running jobs' leases are extended. Default 10 seconds; greater than zero.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often an idle worker looks for work that no in-process signal announced (jobs submitted by another
    /// process). Default 1 second; greater than zero.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often expired leases are looked for. Default 10 seconds (a third of the default lease); greater than zero.
    /// </summary>
    public TimeSpan ReaperInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often unanswered questions past their deadline are looked for and their time-out policy applied. Default
    /// 15 seconds; greater than zero. Every worker process sweeps; a time-out fires once however many do.
    /// </summary>
    public TimeSpan InteractionSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// On shutdown, how long running handlers may finish before they are cancelled and their jobs released.
    /// Default 20 seconds; not negative. Keep the host's own <c>HostOptions.ShutdownTimeout</c> (default 30 s)
    /// at least 10 seconds longer, so the release that follows is not cut short.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The largest payload accepted, in UTF-8 bytes of its JSON. Default 1 MiB; greater than zero.</summary>
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>The most jobs one claim takes. Default 200; 1 to 1000.</summary>
    public int MaxClaimBatch { get; set; } = 200;

    /// <summary>
    /// The most jobs one tenant may have waiting (pending or scheduled), across all queues; a submission that would
    /// exceed it is refused whole with <see cref="TenantFullException"/>. The default tenant (a null tenant) is one
    /// tenant like any other. Default null: unbounded. At least 1 when set. <see cref="SetTenantMaxWaiting"/>
    /// overrides it for one tenant.
    /// </summary>
    public int? MaxWaitingPerTenant { get; set; }

    /// <summary>The retry-after hint given with a refusal when a tenant is at its bound. Default 5 seconds; greater than zero.</summary>
    public TimeSpan RetryAfterWhenTenantFull { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The per-tenant overrides of <see cref="MaxWaitingPerTenant"/>, by tenant (<c>""</c> is the default tenant); a
    /// null value makes that tenant unbounded.
    /// </summary>
    public IReadOnlyDictionary<string, int?> TenantMaxWaiting => _tenantMaxWaiting;

    /// <summary>The JSON settings for payloads and results. Default: <see cref="JsonSerializerDefaults.Web"/>.</summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>The retry policy a job type starts from when it is added. Default: see <see cref="RetryOptions"/>.</summary>
    public RetryOptions DefaultRetry { get; } = new();

    /// <summary>How long finished jobs and their history are kept, and how purging runs. Default: see <see cref="RetentionOptions"/>.</summary>
    public RetentionOptions Retention { get; } = new();

    /// <summary>The configured queues, by name.</summary>
    public IReadOnlyDictionary<string, QueueOptions> Queues => _queues;

    /// <summary>The registered job types, by kind.</summary>
    public IReadOnlyDictionary<string, JobTypeOptions> JobTypes => _jobTypes;

    /// <summary>The recurring schedules defined in code, by name.</summary>
    internal IReadOnlyDictionary<string, RecurringJob> Recurring => _recurring;
    /// <summary>The configured limits (cluster-wide throttles), by name.</summary>
    public IReadOnlyDictionary<string, LimitOptions> Limits => _limits;

    /// <summary>The routing rules, in the order they are tried.</summary>
    public IReadOnlyList<(string Pattern, string Queue)> Routes => _routes;

    /// <summary>Uses the given store.</summary>
    public ConveyorOptions UseStore(Func<IServiceProvider, IJobStore> factory)
    {
        StoreFactory = factory ?? throw new ArgumentNullException(nameof(factory));
        return this;
    }

    /// <summary>Adds a queue, or configures an existing one (such as <c>default</c>).</summary>
    public ConveyorOptions AddQueue(string name, Action<QueueOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_queues.TryGetValue(name, out var queue))
            _queues[name] = queue = new QueueOptions(name);
        configure?.Invoke(queue);
        return this;
    }

    /// <summary>
    /// Gives one tenant its own bound instead of <see cref="MaxWaitingPerTenant"/>: at most <paramref name="maxWaiting"/>
    /// waiting jobs (at least 1), or none when null. A null or empty <paramref name="tenant"/> is the default tenant.
    /// </summary>
    public ConveyorOptions SetTenantMaxWaiting(string? tenant, int? maxWaiting)
    {
        _tenantMaxWaiting[tenant ?? ""] = maxWaiting;
        return this;
    }

    /// <summary>Registers a job type: its stable kind name, its payload type and its handler.</summary>
    /// <exception cref="ArgumentException">The kind or the payload type is already registered.</exception>
    public ConveyorOptions AddJob<TPayload, THandler>(string kind, Action<JobTypeOptions>? configure = null)
        where THandler : class, IJobHandler<TPayload>
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (_jobTypes.ContainsKey(kind))
            throw new ArgumentException($"Job kind '{kind}' is already registered.", nameof(kind));
        if (_jobTypes.Values.Any(t => t.PayloadType == typeof(TPayload)))
            throw new ArgumentException($"Payload type {typeof(TPayload).Name} is already registered to another kind; give each kind its own payload type.", nameof(kind));
        var type = new JobTypeOptions(kind, typeof(TPayload), typeof(THandler), DefaultRetry.Clone());
        configure?.Invoke(type);
        _jobTypes[kind] = type;
        return this;
    }

    /// <summary>
    /// Adds a limit (a cluster-wide throttle), or configures an existing one: call
    /// <see cref="LimitOptions.ForJobType"/> or <see cref="LimitOptions.ForQueue"/>, and set
    /// <see cref="LimitOptions.MaxRunning"/> and/or <see cref="LimitOptions.Rate"/>. Checked at start-up.
    /// </summary>
    public ConveyorOptions AddLimit(string name, Action<LimitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (!_limits.TryGetValue(name, out var limit))
            _limits[name] = limit = new LimitOptions(name);
        configure(limit);
        return this;
    }

    /// <summary>
    /// Routes job kinds matching <paramref name="pattern"/> to <paramref name="queue"/>: an exact kind, or a
    /// prefix ending in <c>*</c> (<c>report.*</c>). Rules are tried in order; a job type's own
    /// <see cref="JobTypeOptions.Queue"/> wins over every rule.
    /// </summary>
    public ConveyorOptions Route(string pattern, string queue)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(queue);
        _routes.Add((pattern, queue));
        return this;
    }

    /// <summary>
    /// Defines a recurring schedule in code: every tick of <paramref name="cron"/> enqueues a job of
    /// <paramref name="kind"/> with <paramref name="payload"/>. At start-up each code-defined schedule is written to the
    /// store (a changed expression or zone recomputes its next tick; an operator's pause is kept). Checked when the host
    /// starts, with every other option: an invalid expression or zone, an unknown kind or a payload that does not fit it
    /// is reported naming the schedule and the field.
    /// </summary>
    /// <param name="name">The schedule's unique name (1 to 128 letters, digits, '.', '_', ':' or '-').</param>
    /// <param name="cron">Five fields (<c>minute hour day month weekday</c>), or six with a leading seconds field.</param>
    /// <param name="kind">A registered job type.</param>
    /// <param name="payload">The payload of every job: an object serialised with <see cref="SerializerOptions"/> (or a <see cref="JsonElement"/>).</param>
    /// <param name="configure">Sets the time zone (default UTC), queue, priority, misfire and overlap policies.</param>
    /// <exception cref="ArgumentException">A schedule with this name is already defined.</exception>
    public ConveyorOptions AddRecurring(string name, string cron, string kind, object payload, Action<RecurringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(cron);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(payload);
        if (_recurring.ContainsKey(name))
            throw new ArgumentException($"A recurring schedule named '{name}' is already defined.", nameof(name));
        var recurring = new RecurringOptions();
        configure?.Invoke(recurring);
        _recurring[name] = new RecurringJob(name, cron, kind, payload, recurring);
        return this;
    }
}
