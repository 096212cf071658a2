namespace Cohortly.Bench;

/// <summary>
/// <c>Cohortly.Bench &lt;command&gt; --help</c>: each command's flags with their defaults. The one place the flags are
/// written down; a command's source comment points here.
/// </summary>
internal static class BenchHelp
{
    public static IReadOnlyDictionary<string, string> Commands { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["evaluate"] = """
            usage: Cohortly.Bench evaluate (--data PATH --format FORMAT | --synthetic USERS | --split-dir DIR) [options]
            Offline evaluation: filter and split, tune every model on validation (coordinate search), report test once.
              --data PATH               data set file or directory (with --format)
              --format F                ml100k | ml1m | mlcsv | tsv (tsv/csv: user, item, value, unix seconds[, event type])
              --synthetic USERS         the demo's seeded synthetic shop (USERS users, USERS/2 items, 30 days): event
                                        rows valued view 1 .. purchase; pair it with --min-value none --kcore 5
              --split-dir DIR           read train.tsv / valid.tsv / test.tsv instead (same layout as --dump-split writes)
              --preset P                recbole (default: value>=3, 10-core, random 80/10/10 per user) | temporal (each
                                        user's latest 10% test) | global-time (one cut date for everybody: the latest
                                        10% of the timeline is test, the 10% before it validation; features only read
                                        events before the cut)
              --models LIST             comma-separated, searched in order (default pop,itemknn,ials,ease,blend); also
                                        pop-cohort, content, cohort (needs a backbone earlier), ranker (needs one earlier)
              --refit                   also fit each selected configuration on train + validation (a pair in both
                                        counts once) and report its test metrics next to the protocol without refit
              --seeds N                 run N seeds (seed, seed+1, ...) and print mean ± sd per model (default 1)
              --seed N                  first seed (default 2024): the random split and the models' initialisation
              --k N                     cut-off (default 10)
              --min-value X|none        override the preset's value threshold
              --kcore N                 override the preset's k-core (users and items)
              --factors N               iALS factors at the start of the search (default 64)
              --cohorts ATTR|profile    user groups: a user attribute, or profile (K-Means on replayed training
                                        profiles; default when --models has cohort)
              --cohort-k N              profile cohorts: fixed k, or 0 (default) to choose k in 2..8 by silhouette
              --cohort-gate oof|insample  how a cohort's adaptation is adopted (default oof: out-of-fold test)
              --cohort-z X              standard errors a form's out-of-fold gain must clear to be adopted (default 2)
              --cohort-forms LIST       forms tried per cohort: weights, item-bias, decayed-pop (default all three)
              --buy-again SLOTS         add a "model+buy-again" row: the model's test lists with the due repeat items
                                        (cycles learned from train + validation, due at the user's first test event)
                                        in the first SLOTS slots; --buy-again-models LIST (default blend),
                                        --repeat-policy interval|always (default interval)
              --synthetic-repeats       with --synthetic: plant replenishment cycles (grocery 7 d, pets 14 d, beauty
                                        28 d); --synthetic-days N (default 30) for the history's length;
                                        --synthetic-world-per-seed: with --seeds, seed s draws world seed 7 + s
              --purchase                purchase-likelihood check; --purchase-window-days N (28), --purchase-min-value X (4)
              --json FILE               write the (first seed's) results as JSON
              --dump-split DIR          write the (first seed's) split as train/valid/test.tsv, no header line
            evaluate --pipeline (--data PATH --format F | --synthetic [--users N (3000)] [--items N (1000)] [--days N (60)]) [--tuning on|off (on)]
                                        [--seed N] [--ease-neighbors N (100)] [--ease-max-items N (3000)]: the server's
                                        training run on a split (EASE settings as Cohortly:Training sets them): ranker vs blend per cohort,
                                        the purchase model's holdout metrics (PipelineEval)
            evaluate --synthetic-context [--users N (1500)] [--items N (800)] [--days N (30)] [--sessions N (3000)]
                                        [--k N (10)] [--seed N (2024)]: what a context key adds, on a synthetic world
                                        with a planted referrer preference (ContextEvaluation)
            """,
        ["speed"] = """
            usage: Cohortly.Bench speed [options]
            Training speed of iALS and K-Means on generated data (and on a data set with --data).
              --users N (10000)  --items N (5000)  --per-user N (50)  --factors N (64)  --iterations N (15)
              --reg X (30)  --alpha X (3)  --repeat N (3)  --seed N (2024)  --threads N (-1 = all)
              --data PATH [--format ml100k|ml1m|mlcsv|tsv]   also time iALS on the whole data set
              --points N (1000000)  --dims N (32)  --k N (8)  --restarts N (1)  --kmeans-iterations N (100)   K-Means
            """,
        ["load"] = """
            usage: Cohortly.Bench load (--url URL --key KEY [--admin-key KEY] | --cluster) [options]
            HTTP load against a gateway over loopback.
              --mode ingest|recommend|memory|all (all)   --seconds N (20)   --seed N (1)
              --users N (20000)  --items N (10000, upserted first)  --batch N (500)  --ingest-batches N (400)
              --rate R[,R...]  --concurrency N (8)  --count N (10)  --client raw|http  --connections N (64)
              --target recommend|profile|similar|floor[,...]   --experiment ID   --idle-seconds N (0)
              --train [--train-timeout-seconds N (1800)]   train after populating and wait until it serves
              --settle N (90)   before the first recommend phase, wait up to N s for the server to use < 0.1 core
              --live-events N (0) [--live-batch N (20)]   every recommend phase under N events/s of live traffic
              --gc-trace   per recommendation phase, the server's collections from its GC events: pause, promoted
                           bytes and bytes marked through cards from older generations, per generation
              --cluster [--silos N (2)] [--fsync always|everysec] [--partitions N (8)]   start redis + silos + gateway
            """,
        ["replay"] = """
            usage: Cohortly.Bench replay --url URL --key APPKEY --admin-key ADMINKEY (--data PATH --format F | --split-dir DIR) [options]
            Replays a data set's train + validation into a gateway, trains, and scores online vs offline (parity).
              --preset recbole|temporal|global-time (recbole)  --seed N (2024)
              --speedup N (0 = as fast as accepted)  --max-gap-ms N (1000)  --batch N (500)  --concurrency N (8)
              --no-ingest  --train  --score  --positive-rating X (3)
              --tuning on|off (on): the in-process run's self-tuning; match the server's Cohortly:Training:Tuning:Enabled
              --ease-weight X (0): the in-process run's EASE weight; match the server's Cohortly:Training:EaseWeight
              --offline-now wall|last (wall): the in-process run's clock (training measures ages at the newest event
                                        by default, so both give the same model)
              --train-timeout N (3600)  --serve-timeout N (120)  --apply-timeout N (600)   seconds
              --diff-out FILE: one JSON line per test user whose lists differ (cohorts, strategies, offline
                                        features, the live profile)
            """,
        ["freshness"] = """
            usage: Cohortly.Bench freshness --url URL --key KEY [--admin-key KEY] (--seed-users [--items N] | --user-range FIRST..LAST | --user-ids a,b,c) [options]
            Time from an event to recommendations that reflect it.
              --users N (50)  --samples N (200)  --type purchase|dismiss  --timeout-ms N (5000)  --poll-ms N (2)
              --max-seconds N (300)  --seed N (7)  --train [--train-timeout N (600)] [--serve-timeout N (60)]
            """,
        ["failover"] = FailoverCommand.Usage,
        ["scale"] = ScaleCommand.Usage,
        ["memory"] = MemoryCommand.Usage,
        ["serve"] = """
            usage: Cohortly.Bench serve [options]
            Cost of the serving pipeline alone (in-process, one thread).
              --users N (20000)  --items N (10000)  --requests N (20000)  --fresh X (0.5)  --count N (10)  --explain  --seed N (1)
              --ease-weight X [--ease-neighbors N (400)]: serve with the EASE signal at weight X (tuning off; the catalog
                                        must be within Cohortly:Training:EaseMaxItems, 3000)
            """,
        ["train-scale"] = """
            usage: Cohortly.Bench train-scale [options]
            The silo's training run (TrainingPipeline.Run) on a seeded synthetic log generated on read (never stored):
            wall seconds, peak RSS (VmHWM reset per stage), managed heap and allocations per stage; iALS s/iteration.
              --users N (1000000)  --items N (100000)  --interactions N (20000000)  --seed N (42)
              --factors N (64)  --iterations N (the training default)  --no-ranker
              --tuning-max-fit-users N (Cohortly:Training:Tuning:MaxFitUsers, 50000): users the tuner fits on
            """,
        ["segment"] = """
            usage: Cohortly.Bench segment [options]
            Segmentation algorithms side by side (SegmentationVersions.Build): ARI of the served cohorts against a synthetic
            world's planted behaviour types, each version's quality, and build time at --sizes users (resampled rows).
              --users N (5000)  --days N (60)  --k N (5)  --seed N (7)
              --algorithms LIST (kmeans,agglomerative,dbscan)  --sizes LIST (100000,1000000)  --kmeans-restarts N (3)
              --agglomerative-sample N (3000)  --dbscan-sample N (5000)  --silhouette-sample N (1000)
            """,
        ["heap"] = """
            usage: Cohortly.Bench heap --pid N [options]
            Managed-heap composition of a running process by type (ClrMD).
              --top N (40)  --live  --generation 0|1|2  --save FILE  --baseline FILE  --users N  --owners TYPE-SUBSTRING
            """,
    };

    public static bool Wants(string[] args) => Array.Exists(args, a => a is "--help" or "-h");
}
