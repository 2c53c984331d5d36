namespace Conveyor.Samples;

/// <summary>The sample queues and job types, registered in one call.</summary>
public static class SampleJobs
{
    /// <summary>
    /// Adds the queues <c>reports</c> (concurrency 2) and <c>lab</c> (concurrency 4), and the job types
    /// <c>report.generate</c> (routed to <c>reports</c>), <c>inventory.sync</c> (5 attempts, 1 s base back-off),
    /// <c>invoice.send</c> and <c>lab.verify</c> (queue <c>lab</c>).
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
        o.Route("report.*", "reports");
        return o;
    }
}
