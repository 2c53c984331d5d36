using System.Threading.Channels;
using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Feed;

/// <summary>
/// One reader of the store's change feed for the whole server: it wakes on the store's signals (the in-process
/// signal; PostgreSQL's NOTIFY relayed by the store), reads the new history events once, and fans them out to every
/// live-update subscriber. Without subscribers it reads nothing. While some are connected it also reads every
/// <see cref="ConveyorServerOptions.FeedFallbackInterval"/>, for changes other processes made without a signal.
/// </summary>
/// <remarks>
/// Events go out in id order, each exactly once per subscriber. PostgreSQL can commit a lower id after a higher one
/// is visible; at such a gap the feed holds back for up to <see cref="GapWait"/> so the late event is not skipped, then
/// moves on (a gap that outlives it is an id no transaction committed).
/// </remarks>
internal sealed class ChangeFeed(StoreAccessor store, IOptions<ConveyorServerOptions> options, TimeProvider time, ILogger<ChangeFeed> logger)
    : BackgroundService
{
    public static readonly TimeSpan GapWait = TimeSpan.FromSeconds(2);
    private const int ReadBatch = 1000;

    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscribers = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _pump = new(1, 1);   // one reader of the store at a time: the pump, or a first subscriber setting the head
    private long _head;   // every event up to here has been delivered (or skipped as a gap)
    private DateTimeOffset? _gapSince;

    /// <summary>
    /// Subscribes to every event after the feed's current head, which is returned: read older events (after a
    /// Last-Event-ID) from the store up to that head, then take the rest from the subscription, and none is missed
    /// or repeated. The first subscriber after an idle spell moves the head to the store's newest event, so nobody is
    /// handed what happened while nobody listened (they read it from the store instead).
    /// </summary>
    public async Task<(Subscription Subscription, long Head)> SubscribeAsync(CancellationToken cancellationToken)
    {
        await _pump.WaitAsync(cancellationToken);
        try
        {
            bool idle;
            lock (_gate)
                idle = _subscribers.Count == 0;
            if (idle)
            {
                _head = await (await store.GetAsync(cancellationToken)).EventsLatestIdAsync(cancellationToken);
                _gapSince = null;
            }
            var subscription = new Subscription(this);
            lock (_gate)
                _subscribers.Add(subscription);
            return (subscription, _head);
        }
        finally
        {
            _pump.Release();
            Wake();
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
            _subscribers.Remove(subscription);
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var s = await store.GetAsync(stoppingToken);
        void OnReady(string queue, DateTimeOffset at) => Wake();
        void OnCancel(long id) => Wake();
        s.Signals.EventsAppended += Wake;
        s.Signals.JobsReady += OnReady;
        s.Signals.CancelRequested += OnCancel;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                bool any;
                lock (_gate)
                    any = _subscribers.Count > 0;
                var wait = any ? (_gapSince is null ? options.Value.FeedFallbackInterval : TimeSpan.FromMilliseconds(100)) : Timeout.InfiniteTimeSpan;
                await _wake.WaitAsync(wait, stoppingToken);
                lock (_gate)
                    any = _subscribers.Count > 0;
                if (!any)
                    continue;
                await _pump.WaitAsync(stoppingToken);
                try
                {
                    await PumpAsync(s, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Conveyor change feed could not read the store; retrying");
                    await Task.Delay(options.Value.FeedFallbackInterval, time, stoppingToken);
                }
                finally
                {
                    _pump.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            s.Signals.EventsAppended -= Wake;
            s.Signals.JobsReady -= OnReady;
            s.Signals.CancelRequested -= OnCancel;
            lock (_gate)
            {
                foreach (var subscriber in _subscribers)
                    subscriber.Complete();
                _subscribers.Clear();
            }
        }
    }

    private async Task PumpAsync(IJobStore s, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await s.EventsFeedAsync(new EventsFeedParams(_head, ReadBatch), cancellationToken);
            var deliver = new List<FeedEvent>(batch.Count);
            var next = _head;
            foreach (var e in batch)
            {
                if (e.Event.Id != next + 1 && next > 0)
                {
                    // A gap: a lower id may still commit. Hold until it does, or until it has been missing too long.
                    _gapSince ??= time.GetUtcNow();
                    if (time.GetUtcNow() - _gapSince < GapWait)
                        break;
                }
                _gapSince = null;
                deliver.Add(e);
                next = e.Event.Id;
            }
            if (deliver.Count > 0)
            {
                Subscription[] targets;
                lock (_gate)
                {
                    _head = next;
                    targets = [.. _subscribers];
                }
                foreach (var target in targets)
                    target.Offer(deliver);
            }
            if (batch.Count < ReadBatch || deliver.Count < batch.Count)
                return;
        }
    }

    /// <summary>One live-update client's queue of events. A client that falls too far behind is dropped; it reconnects with Last-Event-ID and loses nothing.</summary>
    internal sealed class Subscription : IDisposable
    {
        private const int Capacity = 10_000;
        private readonly ChangeFeed _feed;
        private readonly Channel<FeedEvent> _events = Channel.CreateBounded<FeedEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        public Subscription(ChangeFeed feed) => _feed = feed;

        public ChannelReader<FeedEvent> Events => _events.Reader;

        internal void Offer(IReadOnlyList<FeedEvent> events)
        {
            foreach (var e in events)
            {
                if (!_events.Writer.TryWrite(e))
                {
                    _events.Writer.TryComplete(new InvalidOperationException("The client fell too far behind the change feed."));
                    _feed.Remove(this);
                    return;
                }
            }
        }

        internal void Complete() => _events.Writer.TryComplete();

        public void Dispose()
        {
            _feed.Remove(this);
            _events.Writer.TryComplete();
        }
    }
}
