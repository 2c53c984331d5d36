using System.Globalization;

namespace Conveyor.Storage;

/// <summary>The opaque paging cursor of job listings: it names the last job of the previous page.</summary>
public static class JobCursor
{
    private const string Prefix = "j";

    /// <summary>The cursor after the job with this id.</summary>
    public static string Encode(long lastJobId) => IdCursor.Encode(Prefix, lastJobId);

    /// <summary>
    /// The page of a listing that fetched up to <paramref name="limit"/> + 1 jobs newest first: the first
    /// <paramref name="limit"/>, with a cursor when the extra job shows that more follow.
    /// </summary>
    public static JobPage Page(List<JobInfo> fetched, int limit)
    {
        ArgumentNullException.ThrowIfNull(fetched);
        if (fetched.Count <= limit)
            return new JobPage(fetched, null);
        fetched.RemoveRange(limit, fetched.Count - limit);
        return new JobPage(fetched, Encode(fetched[^1].Id));
    }

    /// <summary>Reads a cursor; false when it is not one <see cref="Encode"/> made.</summary>
    public static bool TryDecode(string cursor, out long lastJobId) => IdCursor.TryDecode(Prefix, cursor, out lastJobId);
}

/// <summary>The one shape of every listing's cursor: a prefix naming the listing, then the last id of the previous page.</summary>
internal static class IdCursor
{
    public static string Encode(string prefix, long lastId) => prefix + lastId.ToString(CultureInfo.InvariantCulture);

    public static bool TryDecode(string prefix, string cursor, out long lastId)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        lastId = 0;
        return cursor.StartsWith(prefix, StringComparison.Ordinal)
            && long.TryParse(cursor.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out lastId)
            && lastId > 0;
    }
}
