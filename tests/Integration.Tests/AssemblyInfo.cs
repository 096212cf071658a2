// Each test class runs a whole cluster (redis-server, two silos, a gateway); two at once on a small machine
// only make both slower and their timeouts flaky.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
