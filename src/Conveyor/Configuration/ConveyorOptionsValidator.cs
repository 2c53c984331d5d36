using System.Text.RegularExpressions;
using Conveyor.Routing;
using Conveyor.Scheduling;
using Microsoft.Extensions.Options;

namespace Conveyor.Configuration;

/// <summary>Checks every rule of <see cref="ConveyorOptions"/> and reports all problems at once.</summary>
internal sealed partial class ConveyorOptionsValidator : IValidateOptions<ConveyorOptions>
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex QueueNamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")]
    private static partial Regex KindPattern();

    public ValidateOptionsResult Validate(string? name, ConveyorOptions options)
    {
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> Problems(ConveyorOptions o)
    {
        if (o.StoreFactory is null)
            yield return "Store: no store is configured; call o.UseSqlite(...) (package Conveyor.Sqlite) or o.UseStore(...).";
        if (string.IsNullOrWhiteSpace(o.WorkerId))
            yield return "WorkerId: must not be empty.";
        if (o.HeartbeatInterval <= TimeSpan.Zero)
            yield return $"HeartbeatInterval: must be greater than zero (is {o.HeartbeatInterval}).";
        if (o.LeaseDuration <= o.HeartbeatInterval)
            yield return $"LeaseDuration: must exceed HeartbeatInterval ({o.LeaseDuration} <= {o.HeartbeatInterval}), or every lease lapses between heartbeats.";
        if (o.PollInterval <= TimeSpan.Zero)
            yield return $"PollInterval: must be greater than zero (is {o.PollInterval}).";
        if (o.ReaperInterval <= TimeSpan.Zero)
            yield return $"ReaperInterval: must be greater than zero (is {o.ReaperInterval}).";
        if (o.SchedulerPollInterval <= TimeSpan.Zero)
            yield return $"SchedulerPollInterval: must be greater than zero (is {o.SchedulerPollInterval}).";
        if (o.ScheduleMisfireThreshold <= TimeSpan.Zero)
            yield return $"ScheduleMisfireThreshold: must be greater than zero (is {o.ScheduleMisfireThreshold}).";
        if (o.InteractionSweepInterval <= TimeSpan.Zero)
            yield return $"InteractionSweepInterval: must be greater than zero (is {o.InteractionSweepInterval}).";
        if (o.ShutdownTimeout < TimeSpan.Zero)
            yield return $"ShutdownTimeout: must not be negative (is {o.ShutdownTimeout}).";
        if (o.MaxPayloadBytes <= 0)
            yield return $"MaxPayloadBytes: must be greater than zero (is {o.MaxPayloadBytes}).";
        if (o.MaxClaimBatch is < 1 or > 1000)
            yield return $"MaxClaimBatch: must be between 1 and 1000 (is {o.MaxClaimBatch}).";
        if (o.MaxWaitingPerTenant is < 1)
            yield return $"MaxWaitingPerTenant: must be at least 1 when set (is {o.MaxWaitingPerTenant}); use null for no per-tenant bound.";
        foreach (var (tenant, max) in o.TenantMaxWaiting)
        {
            if (max is < 1)
                yield return $"TenantMaxWaiting[{tenant}]: must be at least 1 when set (is {max}); use null to leave the tenant unbounded.";
        }
        if (o.RetryAfterWhenTenantFull <= TimeSpan.Zero)
            yield return $"RetryAfterWhenTenantFull: must be greater than zero (is {o.RetryAfterWhenTenantFull}).";
        if (o.SerializerOptions is null)
            yield return "SerializerOptions: must not be null.";
        foreach (var p in RetryProblems("DefaultRetry", o.DefaultRetry))
            yield return p;
        foreach (var p in RetentionProblems(o.Retention))
            yield return p;

        foreach (var q in o.Queues.Values)
        {
            var at = $"Queues[{q.Name}]";
            if (!QueueNamePattern().IsMatch(q.Name))
                yield return $"{at}: the name must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.";
            if (q.Concurrency < 0)
                yield return $"{at}.Concurrency: must not be negative (is {q.Concurrency}).";
            if (q.Prefetch is < 0)
                yield return $"{at}.Prefetch: must not be negative (is {q.Prefetch}).";
            if (q.ClaimLoops is < 1 || q.ClaimLoops > Math.Max(1, q.Concurrency))
                yield return $"{at}.ClaimLoops: must be from 1 to the queue's concurrency ({Math.Max(1, q.Concurrency)}) when set (is {q.ClaimLoops}).";
            if (q.MaxWaiting is < 1)
                yield return $"{at}.MaxWaiting: must be at least 1 when set (is {q.MaxWaiting}).";
            if (q.RetryAfterWhenFull <= TimeSpan.Zero)
                yield return $"{at}.RetryAfterWhenFull: must be greater than zero (is {q.RetryAfterWhenFull}).";
        }

        foreach (var t in o.JobTypes.Values)
        {
            var at = $"JobTypes[{t.Kind}]";
            if (!KindPattern().IsMatch(t.Kind))
                yield return $"{at}: the kind must be 1 to 128 characters of letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit.";
            if (t.Queue is not null && !o.Queues.ContainsKey(t.Queue))
                yield return $"{at}.Queue: queue '{t.Queue}' is not configured; add it with o.AddQueue(\"{t.Queue}\").";
            if (t.Timeout is { } timeout && timeout <= TimeSpan.Zero)
                yield return $"{at}.Timeout: must be greater than zero when set (is {timeout}).";
            if (t.ConcurrencyLimit is < 1 or > 1000)
                yield return $"{at}.ConcurrencyLimit: must be between 1 and 1000 (is {t.ConcurrencyLimit}).";
            if (!Enum.IsDefined(t.Priority))
                yield return $"{at}.Priority: {(int)t.Priority} is not a priority (critical, high, normal, low).";
            foreach (var p in RetryProblems($"{at}.Retry", t.Retry))
                yield return p;
            foreach (var p in UniqueProblems(at, t, o))
                yield return p;
        }

        foreach (var p in RecurringProblems(o))
            yield return p;
        foreach (var p in LimitProblems(o))
            yield return p;

        for (var i = 0; i < o.Routes.Count; i++)
        {
            var (pattern, queue) = o.Routes[i];
            if (string.IsNullOrWhiteSpace(pattern) || pattern.IndexOf('*', StringComparison.Ordinal) is >= 0 and var star && star != pattern.Length - 1)
                yield return $"Routes[{i}]: pattern '{pattern}' must be a kind or a prefix ending in a single trailing '*'.";
            if (!o.Queues.ContainsKey(queue))
                yield return $"Routes[{i}]: queue '{queue}' is not configured; add it with o.AddQueue(\"{queue}\").";
        }
    }

    /// <summary>
    /// The problems of the schedules defined in code, each naming the schedule and the field. Checked only once the job
    /// types, queues and serializer are sound, since a schedule's job depends on them.
    /// </summary>
    private static IEnumerable<string> RecurringProblems(ConveyorOptions o)
    {
        if (o.Recurring.Count == 0 || o.SerializerOptions is null)
            yield break;
        var jobs = new ScheduleJobs(o, new JobRouter(o));
        foreach (var recurring in o.Recurring.Values)
        {
            string? problem = null;
            try
            {
                jobs.Validate(recurring.Definition(o.SerializerOptions));
            }
            catch (JobValidationException e)
            {
                problem = $"Recurring[{recurring.Name}].{e.Field}: {e.Reason}";
            }
            if (problem is not null)
                yield return problem;
        }
    }

    private static IEnumerable<string> UniqueProblems(string at, JobTypeOptions t, ConveyorOptions o)
    {
        if (t.UniquePeriod is not { } period)
            yield break;
        if (period <= TimeSpan.Zero || period > JobTypeOptions.MaxUniquePeriod)
            yield return $"{at}.UniquePeriod: must be greater than zero and at most {JobTypeOptions.MaxUniquePeriod.TotalDays:0} days (is {period}).";
        else if (o.Retention.SucceededFor is { } kept && period > kept)
            yield return $"{at}.UniquePeriod: must not exceed Retention.SucceededFor ({period} > {kept}): a purged job no longer blocks its duplicates.";
        var names = t.UniqueFields;
        if (names.Any(string.IsNullOrWhiteSpace))
            yield return $"{at}.UniqueFields: a field name must not be empty.";
        foreach (var repeated in names.Where(n => !string.IsNullOrWhiteSpace(n)).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
            yield return $"{at}.UniqueFields: '{repeated.Key}' is named more than once.";
        if (SerializedProperties(t.PayloadType, o.SerializerOptions) is { } properties)
        {
            foreach (var missing in names.Where(n => !string.IsNullOrWhiteSpace(n) && !properties.Contains(n)).Distinct(StringComparer.Ordinal))
                yield return $"{at}.UniqueFields: {t.PayloadType.Name} has no property serialised as '{missing}' (it has: {string.Join(", ", properties.Order(StringComparer.Ordinal))}).";
        }
    }

    /// <summary>
    /// The names the payload type's properties are serialised under; null when that cannot be known (not an object
    /// contract, a resolver that cannot describe the type, or extension data that admits any name).
    /// </summary>
    private static HashSet<string>? SerializedProperties(Type payloadType, System.Text.Json.JsonSerializerOptions? json)
    {
        if (json is null)
            return null;
        try
        {
            // Asked of the resolver, not of the options: that leaves the options unlocked (a test may still change them).
            var info = (json.TypeInfoResolver ?? new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()).GetTypeInfo(payloadType, json);
            if (info is null)
                return null;
            if (info.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object || info.Properties.Any(p => p.IsExtensionData))
                return null;
            return info.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private static IEnumerable<string> LimitProblems(ConveyorOptions o)
    {
        var byType = new Dictionary<string, string>(StringComparer.Ordinal);
        var byQueue = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var l in o.Limits.Values)
        {
            var at = $"Limits[{l.Name}]";
            if (!QueueNamePattern().IsMatch(l.Name))
                yield return $"{at}: the name must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.";
            if ((l.JobType is null) == (l.Queue is null))
                yield return $"{at}: call exactly one of ForJobType(\"kind\") or ForQueue(\"queue\").";
            if (l.JobType is { } kind)
            {
                if (!o.JobTypes.ContainsKey(kind))
                    yield return $"{at}.JobType: job type '{kind}' is not registered; register it with o.AddJob<TPayload, THandler>(\"{kind}\").";
                if (!byType.TryAdd(kind, l.Name))
                    yield return $"{at}.JobType: job type '{kind}' already has limit '{byType[kind]}'; a job is governed by one limit.";
            }
            if (l.Queue is { } queue)
            {
                if (!o.Queues.ContainsKey(queue))
                    yield return $"{at}.Queue: queue '{queue}' is not configured; add it with o.AddQueue(\"{queue}\").";
                if (!byQueue.TryAdd(queue, l.Name))
                    yield return $"{at}.Queue: queue '{queue}' already has limit '{byQueue[queue]}'; a job is governed by one limit.";
            }
            if (l.MaxRunning is null && l.RateCount is null)
                yield return $"{at}: set MaxRunning or call Rate(count, period); a limit without either limits nothing.";
            if (l.MaxRunning is < 1)
                yield return $"{at}.MaxRunning: must be at least 1 when set (is {l.MaxRunning}).";
            if (l.RateCount is < 1)
                yield return $"{at}.RateCount: must be at least 1 (is {l.RateCount}).";
            if (l.RatePeriod is { } period && period <= TimeSpan.Zero)
                yield return $"{at}.RatePeriod: must be greater than zero (is {period}).";
            if (l.Partition == LimitPartition.Payload && string.IsNullOrWhiteSpace(l.PayloadProperty))
                yield return $"{at}.PayloadProperty: must name a top-level payload property.";
        }
    }

    private static IEnumerable<string> RetentionProblems(RetentionOptions r)
    {
        foreach (var (name, age) in new[] { ("SucceededFor", r.SucceededFor), ("CancelledFor", r.CancelledFor), ("FailedFor", r.FailedFor) })
        {
            if (age is { } a && (a < TimeSpan.Zero || a > RetentionOptions.MaxAge))
                yield return $"Retention.{name}: must be between zero and {RetentionOptions.MaxAge.TotalDays:0} days when set (is {a}); use null to keep these jobs forever.";
        }
        if (r.Interval <= TimeSpan.Zero || r.Interval > TimeSpan.FromDays(1))
            yield return $"Retention.Interval: must be greater than zero and at most one day (is {r.Interval}).";
        if (r.BatchSize is < 1 or > 10_000)
            yield return $"Retention.BatchSize: must be between 1 and 10000 (is {r.BatchSize}).";
    }

    private static IEnumerable<string> RetryProblems(string at, RetryOptions r)
    {
        if (r.MaxAttempts < 1)
            yield return $"{at}.MaxAttempts: must be at least 1 (is {r.MaxAttempts}).";
        if (r.BaseDelay < TimeSpan.Zero)
            yield return $"{at}.BaseDelay: must not be negative (is {r.BaseDelay}).";
        if (r.MaxDelay < r.BaseDelay)
            yield return $"{at}.MaxDelay: must be at least BaseDelay ({r.MaxDelay} < {r.BaseDelay}).";
    }
}
