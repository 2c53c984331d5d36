using System.Text.RegularExpressions;
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
        }

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
