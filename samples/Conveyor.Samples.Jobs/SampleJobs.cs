namespace Conveyor.Samples;

/// <summary>The sample queues and job types, registered in one call.</summary>
public static class SampleJobs
{
    /// <summary>
    /// Adds the queues <c>reports</c> (concurrency 2) and <c>lab</c> (concurrency 4), and the job types
    /// <c>report.generate</c> (routed to <c>reports</c>), <c>inventory.sync</c> (5 attempts, 1 s base back-off),
    /// <c>invoice.send</c>, <c>lab.verify</c> (queue <c>lab</c>) and <c>skill.create</c> (four steps, one of them a
    /// question to the submitter). Also a limit of one running report per tenant, a rate limit of 10 invoices a minute, and
    /// a recurring schedule that generates a report every night at 02:00 in Europe/Berlin.
    /// </summary>
    public static ConveyorOptions AddTo(ConveyorOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.AddQueue("reports", q => q.Concurrency = 2);
        o.AddQueue("lab", q => q.Concurrency = 4);
        o.AddJob<GenerateReport, GenerateReportHandler>("report.generate");
        o.AddJob<SyncInventory, SyncInventoryHandler>("inventory.sync", j =>
        {
            j.Retry.MaxAttempts = 5;
            j.Retry.BaseDelay = TimeSpan.FromSeconds(1);
        });
        o.AddJob<SendInvoice, SendInvoiceHandler>("invoice.send");
        o.AddJob<VerifyRun, VerifyRunHandler>("lab.verify", j => j.Queue = "lab");
        o.AddJob<CreateSkill, CreateSkillHandler>("skill.create");
        o.Route("report.*", "reports");
        o.AddLimit("reports-per-tenant", l => l.ForJobType("report.generate").PartitionByTenant().MaxRunning = 1);
        o.AddLimit("invoice-rate", l => l.ForJobType("invoice.send").Rate(10, TimeSpan.FromMinutes(1)));
        o.AddRecurring("nightly-report", "0 2 * * *", "report.generate", new GenerateReport("nightly"), r => r.TimeZone = "Europe/Berlin");
        return o;
    }

    /// <summary>
    /// Submits the demonstration mix as <paramref name="submitter"/>: a multi-phase report (high priority), a sync that
    /// fails twice then succeeds, an invoice that fails permanently (dead-lettered), and three verification runs of one
    /// lab session that share a concurrency key. Returns each job's id with a label saying what it shows.
    /// </summary>
    public static async Task<IReadOnlyList<(long Id, string Label)>> SubmitDemoAsync(IJobClient client, JobPrincipal submitter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var jobs = new List<(long Id, string Label)>
        {
            ((await client.EnqueueAsync(new GenerateReport("Q3 revenue"), new() { Principal = submitter, Priority = JobPriority.High }, cancellationToken)).JobId, "multi-phase report"),
            ((await client.EnqueueAsync(new SyncInventory("north"), new() { Principal = submitter }, cancellationToken)).JobId, "flaky sync (retries)"),
            ((await client.EnqueueAsync(new SendInvoice("INV-404"), new() { Principal = submitter }, cancellationToken)).JobId, "bad invoice (dead-letter)"),
        };
        foreach (var run in Enumerable.Range(1, 3))
        {
            var result = await client.EnqueueAsync(new VerifyRun("session-42", run), new() { Principal = submitter, ConcurrencyKey = "session-42" }, cancellationToken);
            jobs.Add((result.JobId, $"verify session-42 run {run}"));
        }
        return jobs;
    }
}
