namespace Conveyor.Cli.StoreCopy;

/// <summary>
/// Which tables <c>store copy</c> moves, in what order, and which it leaves behind on purpose. Any other table found on
/// either side stops the copy: a table this list does not name is one whose copying nobody has decided about, and
/// guessing could lose state or carry over something stale.
/// </summary>
internal static class CopyTables
{
    /// <summary>
    /// The state tables, in copy order. There are no foreign keys, so the order only keeps related tables together.
    /// A table listed here but absent on both sides belongs to a later schema version (for example <c>schedules</c>
    /// before its migration) and is passed over.
    /// </summary>
    public static IReadOnlyList<string> Copied { get; } =
    [
        "queues",
        "api_keys",
        "schedules",
        "jobs",
        "job_events",
        "job_steps",
        "interactions",
    ];

    /// <summary>The tables never copied, and why.</summary>
    public static IReadOnlyDictionary<string, string> Skipped { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Each store numbers its own migrations (SQLite has a version PostgreSQL's history does not), and the destination
        // records its own when it is migrated.
        ["conveyor_schema"] = "each store records its own migrations",
        // Leaderships held by the stopped deployment's nodes: copied, they would keep the new deployment's retention
        // waiting until they expired, for a holder that no longer exists.
        ["leaders"] = "leases of the stopped deployment's nodes",
        // Starts counted against rate limits in the current window: transient by nature; the new deployment's window
        // starts empty, as it would after a quiet spell.
        ["limit_starts"] = "rate-limit windows, transient",
    };

    /// <summary>
    /// Columns of one store that hold no state, so no copy carries them and none is reported as left behind: SQLite's
    /// <c>jobs.slack</c> is room a waiting job's row keeps for its claim (migration 0012), empty bytes.
    /// </summary>
    public static IReadOnlySet<string> StorageOnlyColumns { get; } = new HashSet<string>(StringComparer.Ordinal) { "jobs.slack" };
}
