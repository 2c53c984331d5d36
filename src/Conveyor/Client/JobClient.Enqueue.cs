using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Telemetry;

namespace Conveyor.Client;

internal sealed partial class JobClient
{
    private const int MaxKeyLength = 255;
    private const int MaxTags = 32;

    public async Task<EnqueueResult> EnqueueAsync<TPayload>(TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        (await InsertAsync(Prepare(payload, options), cancellationToken))[0];

    public async Task<EnqueueResult> EnqueueJsonAsync(string kind, string payloadJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var type = TypeFor(kind, "kind");
        var job = Build(type, CheckJson(type, payloadJson, "payload"), options, "");
        return (await InsertAsync(Params([job]), cancellationToken))[0];
    }

    public async Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync<TPayload>(IEnumerable<TPayload> payloads, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        await InsertAsync(PrepareMany(payloads, options), cancellationToken);

    public async Task<IReadOnlyList<EnqueueResult>> EnqueueBatchAsync(IEnumerable<JobSubmission> submissions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        var jobs = submissions.Select((s, i) =>
        {
            var type = TypeFor(s.Kind, $"jobs[{i}].kind");
            return Build(type, CheckJson(type, s.Payload, $"jobs[{i}].payload"), s.Options, $"jobs[{i}].");
        }).ToList();
        return await InsertAsync(Params(jobs), cancellationToken);
    }

    public JobsInsertParams Prepare<TPayload>(TPayload payload, EnqueueOptions? options) =>
        Params([Build(TypeFor(typeof(TPayload), "payload"), Serialize(payload, "payload"), options, "")]);

    public JobsInsertParams PrepareMany<TPayload>(IEnumerable<TPayload> payloads, EnqueueOptions? options)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        var type = TypeFor(typeof(TPayload), "payload");
        return Params([.. payloads.Select((p, i) => Build(type, Serialize(p, $"jobs[{i}].payload"), options, $"jobs[{i}]."))]);
    }

    /// <summary>An insert of <paramref name="jobs"/> with the configured queue and tenant bounds.</summary>
    private JobsInsertParams Params(IReadOnlyList<NewJob> jobs) => new(jobs, _bounds) { TenantBound = _tenantBound };

    public ValueTask<IJobStore> GetStoreAsync(CancellationToken cancellationToken) => _store.GetAsync(cancellationToken);

    /// <summary>
    /// Stores validated, routed jobs inside a producer span (when traced), whose context the jobs then carry instead
    /// of the caller's; counts the jobs the store accepted.
    /// </summary>
    private async Task<IReadOnlyList<EnqueueResult>> InsertAsync(JobsInsertParams insert, CancellationToken cancellationToken)
    {
        if (insert.Jobs.Count == 0)
            return [];
        using var activity = JobTracing.StartSend(insert.Jobs);
        if (activity is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent })
            insert = insert with { Jobs = [.. insert.Jobs.Select(j => j with { TraceParent = traceParent })] };
        IReadOnlyList<JobInsertResult> inserted;
        try
        {
            var store = await _store.GetAsync(cancellationToken);
            inserted = await store.JobsInsertAsync(insert, cancellationToken);
        }
        catch (Exception e) when (activity is not null)
        {
            JobTracing.Failed(activity, e);
            throw;
        }
        if (activity is not null)
            JobTracing.SendSucceeded(activity, inserted);
        JobMetrics.RecordEnqueued(insert.Jobs, inserted);
        return inserted.Select(r => new EnqueueResult(r.JobId, r.State, r.Existing)).ToList();
    }

    private JobTypeOptions TypeFor(Type payloadType, string field) =>
        _options.JobTypes.Values.FirstOrDefault(t => t.PayloadType == payloadType)
        ?? throw new JobValidationException(field, $"no job type is registered for payload type {payloadType.Name}; register it with o.AddJob<{payloadType.Name}, THandler>(\"kind\").");

    private JobTypeOptions TypeFor(string? kind, string field)
    {
        if (string.IsNullOrEmpty(kind))
            throw new JobValidationException(field, "is required.");
        return _options.JobTypes.TryGetValue(kind, out var type)
            ? type
            : throw new JobValidationException(field, $"unknown job type '{kind}'.");
    }

    private string Serialize<TPayload>(TPayload payload, string field)
    {
        if (payload is null)
            throw new JobValidationException(field, "must not be null.");
        try
        {
            return CheckSize(JsonSerializer.Serialize(payload, _options.SerializerOptions), field);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new JobValidationException(field, $"does not serialise to JSON: {e.Message}");
        }
    }

    private string CheckJson(JobTypeOptions type, string? json, string field)
    {
        if (string.IsNullOrWhiteSpace(json))
            throw new JobValidationException(field, "is required.");
        CheckSize(json, field);
        object? value;
        try
        {
            value = JsonSerializer.Deserialize(json, type.PayloadType, _options.SerializerOptions);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            throw new JobValidationException(field, $"is not a valid {type.PayloadType.Name} for job type '{type.Kind}': {e.Message}");
        }
        return value is null ? throw new JobValidationException(field, "must not be null.") : json;
    }

    private string CheckSize(string json, string field)
    {
        // Most payloads are far below the limit; count bytes only when the character count could exceed it.
        if (json.Length * 3L > _options.MaxPayloadBytes && Encoding.UTF8.GetByteCount(json) > _options.MaxPayloadBytes)
            throw new JobValidationException(field, $"is {Encoding.UTF8.GetByteCount(json)} bytes of JSON; the limit is {_options.MaxPayloadBytes} (MaxPayloadBytes).");
        return json;
    }

    private NewJob Build(JobTypeOptions type, string payload, EnqueueOptions? o, string at)
    {
        o ??= new EnqueueOptions();
        if (o.RunAt is not null && o.Delay is not null)
            throw new JobValidationException(at + "runAt", "give runAt or delay, not both.");
        if (o.Delay is { } delay && delay < TimeSpan.Zero)
            throw new JobValidationException(at + "delay", $"must not be negative (is {delay}).");
        if (o.MaxAttempts is < 1)
            throw new JobValidationException(at + "maxAttempts", $"must be at least 1 (is {o.MaxAttempts}).");
        if (o.Priority is { } priority && !Enum.IsDefined(priority))
            throw new JobValidationException(at + "priority", $"unknown priority {(int)priority}; use critical, high, normal or low.");
        CheckKey(o.ConcurrencyKey, at + "concurrencyKey");
        CheckKey(o.IdempotencyKey, at + "idempotencyKey");
        var tags = o.Tags ?? [];
        if (tags.Count > MaxTags || tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 64))
            throw new JobValidationException(at + "tags", $"at most {MaxTags} tags of 1 to 64 characters each.");

        var queue = _router.Resolve(type, o.Queue, at + "queue");
        var principal = o.Principal ?? JobPrincipal.System;
        var (limitName, limitKey) = _limits.For(type, queue, payload, principal, at + "payload");
        return new NewJob
        {
            Kind = type.Kind,
            Queue = queue,
            Priority = o.Priority ?? type.Priority,
            Payload = payload,
            RunAt = o.RunAt,
            Delay = o.Delay ?? TimeSpan.Zero,
            MaxAttempts = o.MaxAttempts ?? type.Retry.MaxAttempts,
            ConcurrencyKey = o.ConcurrencyKey,
            ConcurrencyLimit = type.ConcurrencyLimit,
            IdempotencyKey = o.IdempotencyKey,
            UniqueKey = UniqueKey.For(type, payload, at),
            UniquePeriod = type.UniquePeriod,
            Principal = principal,
            Tags = tags,
            TraceParent = JobTracing.CurrentTraceParent(),
            LimitName = limitName,
            LimitKey = limitKey,
        };
    }

    private static void CheckKey(string? key, string field)
    {
        if (key is not null && (key.Length == 0 || key.Length > MaxKeyLength))
            throw new JobValidationException(field, $"must be 1 to {MaxKeyLength} characters when given.");
    }
}
