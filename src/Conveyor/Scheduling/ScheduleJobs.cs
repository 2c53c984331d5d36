using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.Client;
using Conveyor.Routing;
using Conveyor.Storage;

namespace Conveyor.Scheduling;

/// <summary>
/// Checks a schedule definition against the configuration (expression, zone, job type, payload, queue, policies) and
/// turns it into the job each of its ticks inserts. Used by the options validator (code schedules), the client (API
/// schedules) and the scheduler, so every path applies the same rules.
/// </summary>
internal sealed partial class ScheduleJobs(ConveyorOptions options, JobRouter router)
{
    private readonly JobLimits _limits = new(options);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    private static partial Regex NamePattern();

    /// <summary>The concurrency key the firings of a schedule with <see cref="OverlapPolicy.Queue"/> share.</summary>
    public static string ConcurrencyKey(string name) => $"schedule:{name}";

    /// <summary>Validates <paramref name="definition"/>; returns its parsed expression.</summary>
    /// <exception cref="JobValidationException">A field breaks a rule; <see cref="JobValidationException.Field"/> names it (<c>cron</c>, <c>timeZone</c>, <c>kind</c>, <c>payload</c>, ...).</exception>
    public CronSchedule Validate(ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Name is null || !NamePattern().IsMatch(definition.Name))
            throw new JobValidationException("name", $"'{definition.Name}' must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.");
        var schedule = CronSchedule.Parse(definition.Cron, definition.TimeZone);
        _ = Template(definition);
        if (!Enum.IsDefined(definition.Misfire))
            throw new JobValidationException("misfire", $"{(int)definition.Misfire} is not a misfire policy (skip, fireOnce, fireEach).");
        if (!Enum.IsDefined(definition.Overlap))
            throw new JobValidationException("overlap", $"{(int)definition.Overlap} is not an overlap policy (allow, skip, queue).");
        if (definition.MaxCatchUp is < 1 or > RecurringOptions.MaxCatchUpLimit)
            throw new JobValidationException("maxCatchUp", $"must be between 1 and {RecurringOptions.MaxCatchUpLimit} (is {definition.MaxCatchUp}).");
        return schedule;
    }

    /// <summary>The job a tick of <paramref name="definition"/> inserts, without its idempotency key (the store adds the tick's).</summary>
    /// <exception cref="JobValidationException">The kind is unknown, the payload does not fit it, or the queue or priority is invalid.</exception>
    public NewJob Template(ScheduleDefinition definition)
    {
        if (string.IsNullOrEmpty(definition.Kind) || !options.JobTypes.TryGetValue(definition.Kind, out var type))
            throw new JobValidationException("kind", $"unknown job type '{definition.Kind}'; register it with o.AddJob<TPayload, THandler>(\"{definition.Kind}\").");
        CheckPayload(type, definition.Payload);
        if (definition.Priority is { } priority && !Enum.IsDefined(priority))
            throw new JobValidationException("priority", $"unknown priority {(int)priority}; use critical, high, normal or low.");
        var queued = definition.Overlap == OverlapPolicy.Queue;
        var queue = router.Resolve(type, definition.Queue, "queue");
        var (limitName, limitKey) = _limits.For(type, queue, definition.Payload, JobPrincipal.System, "payload");
        return new NewJob
        {
            Kind = type.Kind,
            Queue = queue,
            Priority = definition.Priority ?? type.Priority,
            Payload = definition.Payload,
            MaxAttempts = type.Retry.MaxAttempts,
            ConcurrencyKey = queued ? ConcurrencyKey(definition.Name) : null,
            ConcurrencyLimit = queued ? 1 : type.ConcurrencyLimit,
            Principal = JobPrincipal.System,
            LimitName = limitName,
            LimitKey = limitKey,
        };
    }

    private void CheckPayload(JobTypeOptions type, string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            throw new JobValidationException("payload", "is required: JSON for the job type's payload.");
        if (Encoding.UTF8.GetByteCount(json) > options.MaxPayloadBytes)
            throw new JobValidationException("payload", $"is {Encoding.UTF8.GetByteCount(json)} bytes of JSON; the limit is {options.MaxPayloadBytes} (MaxPayloadBytes).");
        object? value;
        try
        {
            value = JsonSerializer.Deserialize(json, type.PayloadType, options.SerializerOptions);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            throw new JobValidationException("payload", $"is not a valid {type.PayloadType.Name} for job type '{type.Kind}': {e.Message}");
        }
        if (value is null)
            throw new JobValidationException("payload", "must not be null.");
    }
}
