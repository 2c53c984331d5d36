using System.Globalization;

namespace Conveyor.StoreTests.Infrastructure;

/// <summary>Reads the tick out of a scheduled job's idempotency key and checks a run of ticks for gaps and duplicates.</summary>
public static class ScheduleTicks
{
    /// <summary>The tick of a key <c>schedule:&lt;name&gt;:&lt;yyyy-MM-ddTHH:mm:ssZ&gt;</c>.</summary>
    public static DateTimeOffset Of(string key, string name)
    {
        var prefix = $"schedule:{name}:";
        Assert.StartsWith(prefix, key, StringComparison.Ordinal);
        return DateTimeOffset.ParseExact(key[prefix.Length..], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    /// <summary>Every second from the first tick to the last fired exactly once: no duplicate, no gap.</summary>
    public static void AssertEachTickOnce(IReadOnlyList<string> keys, string name)
    {
        var ticks = keys.Select(k => Of(k, name)).ToList();
        var duplicates = ticks.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => $"{g.Key:O} x{g.Count()}").ToList();
        Assert.True(duplicates.Count == 0, $"Ticks fired more than once: {string.Join(", ", duplicates)}");
        var first = ticks.Min();
        var last = ticks.Max();
        var missing = Enumerable.Range(0, (int)(last - first).TotalSeconds + 1).Select(s => first.AddSeconds(s)).Except(ticks).ToList();
        Assert.True(missing.Count == 0, $"Ticks between {first:O} and {last:O} that never fired: {string.Join(", ", missing.Select(m => m.ToString("O", CultureInfo.InvariantCulture)))}");
    }
}
