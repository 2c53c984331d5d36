using System.Buffers;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    internal static readonly string ClaimSql =
        "WITH ready AS (" +
        string.Join("\nUNION ALL\n", Enumerable.Range(0, 4).Select(p => SqlText.Get("ClaimCandidates").Replace("{priority}", p.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{columns}", "", StringComparison.Ordinal))) +
        ")\n" + SqlText.Get("ClaimUpdate");

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClaimedJob>> JobsClaimAsync(JobsClaimParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.Limit, 1);
        var completions = parameters.CompleteFirst is { Count: > 0 } finished ? CompletionItems(finished) : null;
        var limits = parameters.Limits is { Count: > 0 } l ? l : null;
        var (claimed, wake) = await WriteAsync(now =>
        {
            // The finished attempts and the claim that refills their slots share one transaction and one commit.
            var wake = completions is null ? null : Complete(completions, now).Wake;
            if (limits is null)
                return (Claim(parameters, now), wake);
            wake ??= [];
            return (ClaimLimited(parameters, limits, now, wake), wake);
        }, cancellationToken);
        if (wake is { Count: > 0 })
            Publish(wake);
        return claimed;
    }

    private List<ClaimedJob> Claim(JobsClaimParams parameters, long now)
    {
        var claim = Command(ClaimSql);
        claim.Parameters.AddWithValue("@queue", parameters.Queue);
        claim.Parameters.AddWithValue("@limit", parameters.Limit);
        claim.Parameters.AddWithValue("@now", now);
        var leaseUntil = now + Micros.From(parameters.LeaseDuration);
        claim.Parameters.AddWithValue("@lease_until", leaseUntil);
        claim.Parameters.AddWithValue("@worker", parameters.WorkerId);
        var claimed = new List<ClaimedJob>();
        ReadClaimed(claim, parameters, leaseUntil, claimed);
        return SortClaimed(claimed);
    }

    /// <summary>
    /// Runs a claim update whose RETURNING has ClaimUpdate's shape and adds the claimed jobs to
    /// <paramref name="claimed"/>. The update's trigger (jobs_started) wrote their Started events.
    /// </summary>
    private static void ReadClaimed(SqliteCommand claim, JobsClaimParams parameters, long leaseUntil, List<ClaimedJob> claimed)
    {
        using var r = claim.ExecuteReader();
        while (r.Read())
        {
            // Column 8 says the job has no key, principal or trace: the five columns after it are then not read
            // (each read is a call into SQLite; a claim reads ~16 rows per transaction).
            var plain = r.GetInt64(8) != 0;
            claimed.Add(new ClaimedJob
            {
                Id = r.GetInt64(0),
                Kind = r.GetString(1),
                Queue = parameters.Queue,
                Priority = (JobPriority)r.GetInt32(2),
                Payload = r.GetString(3),
                Attempt = r.GetInt32(4),
                MaxAttempts = r.GetInt32(5),
                LeaseToken = r.GetInt64(6),
                LeaseExpiresAt = Micros.ToInstant(leaseUntil),
                CreatedAt = Micros.ToInstant(r.GetInt64(7)),
                ConcurrencyKey = plain || r.IsDBNull(9) ? null : r.GetString(9),
                Principal = plain ? JobPrincipal.System : Principal(r, 10),
                TraceParent = plain || r.IsDBNull(13) ? null : r.GetString(13),
            });
        }
    }

    /// <summary>Sorts claimed jobs in claim order; when there are any, their Started events were appended.</summary>
    private List<ClaimedJob> SortClaimed(List<ClaimedJob> claimed)
    {
        if (claimed.Count == 0)
            return claimed;
        _eventsAppended = true;
        claimed.Sort(static (a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : a.Id.CompareTo(b.Id));
        return claimed;
    }

    /// <inheritdoc />
    public async Task<JobsHeartbeatResult> JobsHeartbeatAsync(JobsHeartbeatParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Leases.Count == 0)
            return new JobsHeartbeatResult([], []);
        var held = await WriteAsync(now =>
        {
            var beat = Named("JobsHeartbeat");
            beat.Parameters.AddWithValue("@lease_until", now + Micros.From(parameters.LeaseDuration));
            beat.Parameters.AddWithValue("@leases", Json(w =>
            {
                foreach (var lease in parameters.Leases)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(lease.JobId);
                    w.WriteNumberValue(lease.LeaseToken);
                    w.WriteEndArray();
                }
            }));
            var held = new Dictionary<long, bool>();
            using var r = beat.ExecuteReader();
            while (r.Read())
                held[r.GetInt64(0)] = r.GetInt64(1) != 0;
            return held;
        }, cancellationToken);
        return new JobsHeartbeatResult(
            parameters.Leases.Select(l => l.JobId).Where(id => !held.ContainsKey(id)).ToList(),
            held.Where(h => h.Value).Select(h => h.Key).ToList());
    }

    /// <inheritdoc />
    public Task<bool> JobProgressSetAsync(JobProgressSetParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var progress = parameters.Progress;
        return WriteAsync(now =>
        {
            var set = Named("ProgressSet");
            set.Parameters.AddWithValue("@percent", (object?)progress.Percent ?? DBNull.Value);
            set.Parameters.AddWithValue("@keep_percent", parameters.KeepPercent ? 1 : 0);
            set.Parameters.AddWithValue("@phase", (object?)progress.Phase ?? DBNull.Value);
            set.Parameters.AddWithValue("@message", (object?)progress.Message ?? DBNull.Value);
            set.Parameters.AddWithValue("@now", now);
            set.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            set.Parameters.AddWithValue("@token", parameters.Lease.LeaseToken);
            if (set.ExecuteNonQuery() == 0)
                return false;
            var text = string.Join(" · ", new[] { progress.Percent is { } p ? $"{p:0.#}%" : null, progress.Phase, progress.Message }.Where(s => s is not null));
            return FencedEvent(parameters.Lease, now, JobEventKind.Progress, text);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> JobLogAppendAsync(JobLogAppendParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync(now =>
        {
            // A log line is a change like any other (only heartbeats leave updated_at alone); the touch is fenced too.
            var touch = Named("AttemptTouch");
            touch.Parameters.AddWithValue("@now", now);
            touch.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            touch.Parameters.AddWithValue("@token", parameters.Lease.LeaseToken);
            return touch.ExecuteNonQuery() == 1 && FencedEvent(parameters.Lease, now, JobEventKind.Log, parameters.Message);
        }, cancellationToken);
    }

    private bool FencedEvent(JobLease lease, long now, JobEventKind kind, string? message)
    {
        var insert = Named("FencedEventInsert");
        insert.Parameters.AddWithValue("@now", now);
        insert.Parameters.AddWithValue("@kind", (int)kind);
        insert.Parameters.AddWithValue("@message", (object?)message ?? DBNull.Value);
        insert.Parameters.AddWithValue("@job_id", lease.JobId);
        insert.Parameters.AddWithValue("@token", lease.LeaseToken);
        var appended = insert.ExecuteNonQuery() == 1;
        _eventsAppended |= appended;
        return appended;
    }

    private void InsertEvents(IEnumerable<long> jobIds, long now, JobEventKind kind, string? actor, string? message)
    {
        var insert = Named("EventsInsertForIds");
        insert.Parameters.AddWithValue("@ids", Json(w =>
        {
            foreach (var id in jobIds)
                w.WriteNumberValue(id);
        }));
        insert.Parameters.AddWithValue("@now", now);
        insert.Parameters.AddWithValue("@kind", (int)kind);
        insert.Parameters.AddWithValue("@actor", (object?)actor ?? DBNull.Value);
        insert.Parameters.AddWithValue("@message", (object?)message ?? DBNull.Value);
        _eventsAppended |= insert.ExecuteNonQuery() > 0;
    }

    /// <summary>Writes a JSON array whose elements <paramref name="elements"/> writes.</summary>
    private static string Json(Action<Utf8JsonWriter> elements)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            elements(writer);
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static JobPrincipal Principal(SqliteDataReader r, int tenantColumn)
    {
        var tenant = r.GetString(tenantColumn);
        var user = r.IsDBNull(tenantColumn + 1) ? null : r.GetString(tenantColumn + 1);
        var roles = r.GetString(tenantColumn + 2);
        if (user is null && tenant.Length == 0 && roles == "[]")
            return JobPrincipal.System; // most background jobs: no need to allocate a principal per claim
        return new JobPrincipal(user, tenant.Length == 0 ? null : tenant, roles == "[]" ? [] : JsonSerializer.Deserialize<string[]>(roles) ?? []);
    }
}
