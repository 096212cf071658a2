// Redis servers and an Orleans cluster on a shared 2-core machine: run test collections one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
