using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

/// <summary><see cref="JobTypeOptions.UniqueFor"/> is checked at start-up with every other option.</summary>
public sealed class UniqueForValidationTests
{
    public sealed record SyncAccount(int AccountId, string? Region, bool Force);

    private static List<string> Problems(Action<JobTypeOptions> unique, Action<ConveyorOptions>? more = null)
    {
        var o = new ConveyorOptions();
        o.UseStore(_ => null!);
        o.AddJob<SyncAccount, NoopHandler<SyncAccount>>("sync-account", unique);
        more?.Invoke(o);
        return [.. ConveyorOptionsValidator.Problems(o)];
    }

    [Fact]
    public void A_period_with_serialised_property_names_passes_and_so_does_one_without_fields()
    {
        Assert.Empty(Problems(t => t.UniqueFor(TimeSpan.FromMinutes(5), "accountId", "region")));
        Assert.Empty(Problems(t => t.UniqueFor(TimeSpan.FromDays(1))));
        Assert.Empty(Problems(t => t.UniqueFor(JobTypeOptions.MaxUniquePeriod), o => o.Retention.SucceededFor = null));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(31 * 24 * 60)]
    public void A_period_out_of_range_is_a_problem(int minutes)
    {
        var problem = Assert.Single(Problems(t => t.UniqueFor(TimeSpan.FromMinutes(minutes), "accountId"), o => o.Retention.SucceededFor = null));

        Assert.StartsWith("JobTypes[sync-account].UniquePeriod: must be greater than zero and at most 30 days", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_period_longer_than_succeeded_jobs_are_kept_is_a_problem()
    {
        var problem = Assert.Single(Problems(t => t.UniqueFor(TimeSpan.FromDays(2), "accountId")));

        Assert.Equal("JobTypes[sync-account].UniquePeriod: must not exceed Retention.SucceededFor (2.00:00:00 > 1.00:00:00): a purged job no longer blocks its duplicates.", problem);
    }

    [Fact]
    public void Empty_repeated_and_unknown_field_names_are_each_a_problem()
    {
        var problems = Problems(t => t.UniqueFor(TimeSpan.FromMinutes(5), "accountId", "", "accountId", "AccountId"));

        Assert.Equal(
        [
            "JobTypes[sync-account].UniqueFields: a field name must not be empty.",
            "JobTypes[sync-account].UniqueFields: 'accountId' is named more than once.",
            "JobTypes[sync-account].UniqueFields: SyncAccount has no property serialised as 'AccountId' (it has: accountId, force, region).",
        ], problems);
    }
}
