using Conveyor.Routing;
using Conveyor.Scheduling;
using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor.Client;

/// <summary>
/// The <see cref="IJobClient"/> over the configured store: validates, routes, then stores in one call. As the
/// <see cref="IEnqueuePipeline"/> it hands the validated, routed submissions to store packages that insert them their
/// own way (in the caller's transaction).
/// </summary>
internal sealed partial class JobClient : IJobClient, IEnqueuePipeline
{
    private readonly StoreAccessor _store;
    private readonly ConveyorOptions _options;
    private readonly JobRouter _router;
    private readonly Dictionary<string, QueueBound> _bounds;
    private readonly TenantBound? _tenantBound;
    private readonly ScheduleJobs _schedules;
    private readonly TimeProvider _time;
    private readonly JobLimits _limits;

    public JobClient(StoreAccessor store, IOptions<ConveyorOptions> options, TimeProvider time)
    {
        _store = store;
        _options = options.Value;
        _time = time;
        _router = new JobRouter(_options);
        _schedules = new ScheduleJobs(_options, _router);
        _limits = new JobLimits(_options);
        _bounds = _options.Queues.Values
            .Where(q => q.MaxWaiting is not null)
            .ToDictionary(q => q.Name, q => new QueueBound(q.MaxWaiting!.Value, q.RetryAfterWhenFull), StringComparer.Ordinal);
        // No tenant bound at all when no tenant can be bounded, so that the store counts nothing.
        if (_options.MaxWaitingPerTenant is not null || _options.TenantMaxWaiting.Values.Any(m => m is not null))
        {
            _tenantBound = new TenantBound(_options.MaxWaitingPerTenant, _options.RetryAfterWhenTenantFull)
            {
                Overrides = _options.TenantMaxWaiting.Count == 0 ? null : new Dictionary<string, int?>(_options.TenantMaxWaiting, StringComparer.Ordinal),
            };
        }
    }

    public async Task<JobInfo?> GetAsync(long jobId, CancellationToken cancellationToken = default) =>
        await (await _store.GetAsync(cancellationToken)).JobGetAsync(jobId, cancellationToken);

    public async Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 1000)
            throw new JobValidationException("limit", $"must be between 1 and 1000 (is {query.Limit}).");
        if (query.Cursor is not null && !JobCursor.TryDecode(query.Cursor, out _))
            throw new JobValidationException("cursor", "is not a cursor this server issued.");
        return await (await _store.GetAsync(cancellationToken)).JobsListAsync(query, cancellationToken);
    }

    public async Task<IReadOnlyList<JobEvent>> GetHistoryAsync(long jobId, CancellationToken cancellationToken = default) =>
        await (await _store.GetAsync(cancellationToken)).JobEventsListAsync(new JobEventsListParams(jobId, 0, int.MaxValue), cancellationToken);

    public async Task<JobCancelResult> CancelAsync(long jobId, string? actor = null, CancellationToken cancellationToken = default) =>
        await (await _store.GetAsync(cancellationToken)).JobCancelAsync(new JobCancelParams(jobId, actor), cancellationToken);

    public async Task<JobRequeueResult> RequeueAsync(long jobId, string? actor = null, CancellationToken cancellationToken = default) =>
        await (await _store.GetAsync(cancellationToken)).JobRequeueAsync(new JobRequeueParams(jobId, actor), cancellationToken);
}
