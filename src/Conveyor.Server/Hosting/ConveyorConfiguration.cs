using System.Globalization;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Hosting;

/// <summary>
/// Reads the standalone server's <c>Conveyor:</c> configuration section into <see cref="ConveyorOptions"/>: the worker
/// settings, the retention ages, the queues and the tenant bounds (the store is read by
/// <see cref="ConveyorServerHost"/>). A value that does not parse is left at its default and reported, naming its key,
/// by <see cref="Validator"/> with the options' own validation at start-up, so one failed start lists every problem.
/// </summary>
internal sealed class ConveyorConfiguration(IConfiguration configuration)
{
    /// <summary>The section the settings live in.</summary>
    public const string SectionName = "Conveyor";

    /// <summary>The word that keeps a state's finished jobs forever (a null retention age).</summary>
    public const string Forever = "forever";

    /// <summary>Applies every well-formed setting to <paramref name="o"/> and returns the problems of the others.</summary>
    public IReadOnlyList<string> ApplyTo(ConveyorOptions o)
    {
        var read = new Reader(configuration.GetSection(SectionName));
        read.Text("WorkerId", v => o.WorkerId = v);
        read.Bool("RunWorkers", v => o.RunWorkers = v);
        read.Bool("MigrateOnStart", v => o.MigrateOnStart = v);
        read.Duration("LeaseDuration", v => o.LeaseDuration = v);
        read.Duration("HeartbeatInterval", v => o.HeartbeatInterval = v);
        read.Duration("PollInterval", v => o.PollInterval = v);
        read.Duration("ReaperInterval", v => o.ReaperInterval = v);
        read.Duration("InteractionSweepInterval", v => o.InteractionSweepInterval = v);
        read.Duration("ShutdownTimeout", v => o.ShutdownTimeout = v);
        read.Bool("RunScheduler", v => o.RunScheduler = v);
        read.Duration("SchedulerPollInterval", v => o.SchedulerPollInterval = v);
        read.Duration("ScheduleMisfireThreshold", v => o.ScheduleMisfireThreshold = v);
        read.Int("MaxClaimBatch", v => o.MaxClaimBatch = v);
        read.Int("MaxPayloadBytes", v => o.MaxPayloadBytes = v);
        read.Int("MaxWaitingPerTenant", v => o.MaxWaitingPerTenant = v);
        read.Seconds("RetryAfterWhenTenantFullSeconds", v => o.RetryAfterWhenTenantFull = v);

        var retention = read.Under("Retention");
        retention.Age("SucceededFor", v => o.Retention.SucceededFor = v);
        retention.Age("CancelledFor", v => o.Retention.CancelledFor = v);
        retention.Age("FailedFor", v => o.Retention.FailedFor = v);
        retention.Duration("Interval", v => o.Retention.Interval = v);
        retention.Int("BatchSize", v => o.Retention.BatchSize = v);

        foreach (var queue in configuration.GetSection($"{SectionName}:Queues").GetChildren())
        {
            var q = read.Under($"Queues:{queue.Key}");
            o.AddQueue(queue.Key, options =>
            {
                q.Int("Concurrency", v => options.Concurrency = v);
                q.Int("Prefetch", v => options.Prefetch = v);
                q.Int("ClaimLoops", v => options.ClaimLoops = v);
                q.Int("MaxWaiting", v => options.MaxWaiting = v);
                q.Seconds("RetryAfterWhenFullSeconds", v => options.RetryAfterWhenFull = v);
            });
        }
        return read.Problems;
    }

    /// <summary>Reports the settings that did not parse, beside the options' own rules.</summary>
    internal sealed class Validator(ConveyorConfiguration settings) : IValidateOptions<ConveyorOptions>
    {
        public ValidateOptionsResult Validate(string? name, ConveyorOptions options)
        {
            // Read again into a scratch instance: the problems are the configuration's, whatever code set afterwards.
            var problems = settings.ApplyTo(new ConveyorOptions());
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }

    /// <summary>One section's values, parsed invariantly; an empty value counts as not set.</summary>
    private sealed class Reader(IConfigurationSection section, List<string>? problems = null)
    {
        private const string DurationRule = "is not a duration: write [d.]hh:mm:ss, such as 00:00:30 for 30 seconds or 7.00:00:00 for 7 days";

        public List<string> Problems { get; } = problems ?? [];

        public Reader Under(string key) => new(section.GetSection(key), Problems);

        public void Text(string key, Action<string> set) => Read(key, set, v => (true, v), "");

        public void Bool(string key, Action<bool> set) => Read(key, set, v => (bool.TryParse(v, out var b), b), "is not true or false");

        public void Int(string key, Action<int> set) =>
            Read(key, set, v => (int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i), i), "is not a whole number");

        public void Seconds(string key, Action<TimeSpan> set) =>
            Read(key, set, v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && Math.Abs(s) < TimeSpan.MaxValue.TotalSeconds
                ? (true, TimeSpan.FromSeconds(s)) : (false, default), "is not a number of seconds");

        public void Duration(string key, Action<TimeSpan> set) => Read(key, set, TryDuration, DurationRule);

        public void Age(string key, Action<TimeSpan?> set) =>
            Read(key, set, v => string.Equals(v, Forever, StringComparison.OrdinalIgnoreCase) ? (true, null) : TryDuration(v) is (true, var d) ? (true, d) : (false, (TimeSpan?)null),
                $"{DurationRule}, or {Forever} to keep these jobs forever");

        // A bare number is refused although TimeSpan reads it: "30" would be 30 days, not the 30 seconds meant.
        private static (bool, TimeSpan) TryDuration(string value) =>
            value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var d) ? (true, d) : (false, default);

        private void Read<T>(string key, Action<T> set, Func<string, (bool Ok, T Value)> parse, string rule)
        {
            var entry = section.GetSection(key);
            if (string.IsNullOrWhiteSpace(entry.Value))
                return;
            var (ok, value) = parse(entry.Value.Trim());
            if (ok)
                set(value);
            else
                Problems.Add($"{entry.Path}: '{entry.Value}' {rule}.");
        }
    }
}
