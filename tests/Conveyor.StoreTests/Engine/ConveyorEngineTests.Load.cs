namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    [Fact]
    public async Task Sixteen_workers_on_two_nodes_and_four_concurrent_producers_lose_nothing_and_run_nothing_twice()
    {
        const int producers = 4, perProducer = 600;
        var first = BuildHost(o => o.AddQueue(ConveyorOptions.DefaultQueueName, q => q.Concurrency = 8), out var location);
        var second = BuildHost(o => o.AddQueue(ConveyorOptions.DefaultQueueName, q => q.Concurrency = 8), out _, existingLocation: location);
        await Task.WhenAll(first.StartAsync(), second.StartAsync());
        var clients = new[] { Client(first), Client(second) };

        // Producers alternate nodes and mix single submissions with batches, while the workers drain.
        var submitted = await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            var ids = new List<long>();
            var client = clients[p % 2];
            for (var i = 0; i < perProducer;)
            {
                if (i % 50 == 0)
                {
                    var batch = Enumerable.Range(i, 25).Select(n => new EchoJob($"{p}-{n}"));
                    ids.AddRange((await client.EnqueueManyAsync(batch)).Select(r => r.JobId));
                    i += 25;
                }
                else
                {
                    ids.Add((await client.EnqueueAsync(new EchoJob($"{p}-{i}"))).JobId);
                    i++;
                }
            }
            return ids;
        })));

        var all = submitted.SelectMany(ids => ids).ToList();
        Assert.Equal(producers * perProducer, all.Distinct().Count());
        foreach (var id in all)
            await WaitForAsync(clients[0], id, JobState.Succeeded);
        var runs = Probe.Starts.GroupBy(s => s.JobId).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(all.Order(), runs.Keys.Order());
        Assert.All(runs, r => Assert.Equal(1, r.Value));
        Assert.True(Probe.MaxActive <= 16, $"{Probe.MaxActive} handlers ran at once on 16 slots.");
    }
}
