using Conveyor.Storage;

namespace Conveyor.Tests.Storage;

public sealed class JobCursorTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData(42L)]
    [InlineData(1_000_000_007L)]
    [InlineData(long.MaxValue)]
    public void A_cursor_round_trips(long jobId)
    {
        var cursor = JobCursor.Encode(jobId);

        Assert.True(JobCursor.TryDecode(cursor, out var decoded));
        Assert.Equal(jobId, decoded);
    }

    [Fact]
    public void Distinct_ids_give_distinct_cursors() =>
        Assert.NotEqual(JobCursor.Encode(12), JobCursor.Encode(123));

    [Theory]
    [InlineData("")]
    [InlineData("j")]
    [InlineData("garbage")]
    [InlineData("jabc")]
    [InlineData("j12x")]
    [InlineData("j 12")]
    [InlineData("j12 ")]
    [InlineData("j1.5")]
    [InlineData("j1e3")]
    [InlineData("j0x1F")]
    [InlineData("j+12")]
    [InlineData("j9223372036854775808")]
    [InlineData("j99999999999999999999")]
    public void Garbage_is_refused(string cursor)
    {
        Assert.False(JobCursor.TryDecode(cursor, out var decoded));
        Assert.Equal(0, decoded);
    }

    [Theory]
    [InlineData("j-1")]
    [InlineData("j-9223372036854775808")]
    public void A_negative_id_is_refused(string cursor) =>
        Assert.False(JobCursor.TryDecode(cursor, out _));

    [Theory]
    [InlineData("j0")]
    [InlineData("j00")]
    public void A_zero_id_is_refused(string cursor) =>
        Assert.False(JobCursor.TryDecode(cursor, out _));

    [Theory]
    [InlineData("12")]
    [InlineData("J12")]
    [InlineData("k12")]
    [InlineData(" j12")]
    public void A_cursor_without_the_prefix_is_refused(string cursor) =>
        Assert.False(JobCursor.TryDecode(cursor, out _));
}
