using System.Text.RegularExpressions;

namespace Conveyor.Postgres;

/// <summary>Settings of the PostgreSQL store. <see cref="Validate"/> reports every problem at once.</summary>
public sealed partial class PostgresStoreOptions
{
    /// <summary>
    /// The Npgsql connection string (for example <c>Host=db;Username=app;Password=…;Database=app</c>). Required; no
    /// default. Pooling, time-outs and TLS are Npgsql's settings and keep Npgsql's defaults, except three that the
    /// store sets when the string does not name them: <c>Max Auto Prepare=32</c> (its statements are prepared once
    /// used a few times), <c>No Reset On Close=true</c> (it keeps no session state on pooled connections), and
    /// <c>Options</c> that begin with <c>-c enable_seqscan=off</c> (so a plan prepared while the table was empty
    /// keeps its index paths once it fills; options the string gives follow and win).
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The schema that holds Conveyor's tables, created by the first migration when missing. Default
    /// <c>conveyor</c>. A letter or underscore, then letters, digits or underscores, at most 50 characters; it is
    /// always quoted, so its case is kept. Several Conveyor installations can share a database in separate schemas.
    /// </summary>
    public string Schema { get; set; } = "conveyor";

    /// <summary>
    /// Whether this store keeps one connection open to LISTEN for other processes' wake-ups (jobs ready, a
    /// cancellation requested) and raises them as <see cref="Storage.IJobStore.Signals"/>. Default true. A process
    /// that only submits jobs may turn it off to save the connection; its own writes still notify other processes.
    /// </summary>
    public bool Listen { get; set; } = true;

    /// <summary>
    /// The longest wait between attempts to re-open the listening connection after it fails; attempts start after
    /// 100 ms and double up to this. Default 10 seconds; greater than zero.
    /// </summary>
    public TimeSpan ListenMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,49}$")]
    private static partial Regex SchemaPattern();

    /// <summary>Checks every setting and throws one exception naming each problem.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message lists all of them.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
            problems.Add("ConnectionString: required.");
        if (Schema is null || !SchemaPattern().IsMatch(Schema))
            problems.Add($"Schema: '{Schema}' is not a plain identifier (a letter or underscore, then letters, digits or underscores, at most 50 characters).");
        if (ListenMaxRetryDelay <= TimeSpan.Zero)
            problems.Add("ListenMaxRetryDelay: must be greater than zero.");
        if (problems.Count > 0)
            throw new ArgumentException("Invalid PostgresStoreOptions: " + string.Join(" ", problems));
    }
}
