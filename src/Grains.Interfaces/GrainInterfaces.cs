using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>One user: live profile, cohort membership, recommendations. Events arrive on the stream.</summary>
[Alias("cohortly.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    // Per-request calls answer in milliseconds. A short response timeout matters when a silo dies: a call
    // already sent through the dead silo's gateway connection gets no answer and no rejection, and would
    // otherwise hold its HTTP request for Orleans' default 30 s instead of failing over to a 503 + retry.

    /// <summary>The profile, or null when the user has never been seen.</summary>
    [Alias("GetProfile")]
    [ResponseTimeout("00:00:05")]
    Task<UserProfileView?> GetProfile();

    [Alias("Recommend")]
    [ResponseTimeout("00:00:05")]
    Task<RecommendationResponse> Recommend(RecommendationRequest request);

    /// <summary>The user's purchase probability from the active model version (analysts' question; no other grain is called).</summary>
    [Alias("GetPropensity"), ReadOnly]
    [ResponseTimeout("00:00:05")]
    Task<PropensityView> GetPropensity();

    /// <summary>Replaces the user's attributes; they give a provisional cohort before any history exists.</summary>
    [Alias("SetAttributes")]
    Task<UserAttributesView> SetAttributes(IReadOnlyDictionary<string, string> attributes);

    /// <summary>
    /// Applies what the interaction log holds for this user beyond the last applied event, then saves.
    /// Called by the partition owner when the user's entries stay unacknowledged (their silo died).
    /// </summary>
    [Alias("CatchUpFromLog")]
    Task CatchUpFromLog();

    /// <summary>
    /// Erases the user: state, the user's events and attributes in the interaction log; keeps a tombstone so no model
    /// row and no replayed event brings them back. Idempotent (a repeat removes nothing and says so).
    /// </summary>
    [Alias("Erase")]
    Task<UserErasureResult> Erase();

    /// <summary>Everything held about the user: state, log records, the active model's row.</summary>
    [Alias("Export")]
    Task<UserDataExport> Export();

    /// <summary>Withholds (false) or restores (true) consent to personalization.</summary>
    [Alias("SetConsent")]
    Task<UserConsentView> SetConsent(bool personalization);
}

/// <summary>
/// The per-request reads of a user — recommendations and the profile — on the silo that takes the request (stateless
/// worker): a user whose grain is active on that silo is answered on its activation without a grain message;
/// any other user through its <see cref="IUserGrain"/>, which the answer is the same as. Keyed by a hash bucket of the
/// user id (<see cref="GrainReferences.GetUserServingGrain"/>), so a client spreads the reads over the gateways. A
/// client-only gateway reads through it (<see cref="IUserReads"/>); a gateway hosting a silo reads on that silo directly.
/// </summary>
[Alias("cohortly.IUserServingGrain")]
public interface IUserServingGrain : IGrainWithIntegerKey
{
    /// <summary>What <see cref="IUserGrain.GetProfile"/> answers.</summary>
    [Alias("GetProfile")]
    [ResponseTimeout("00:00:05")]
    Task<UserProfileView?> GetProfile(string userId);

    /// <summary>What <see cref="IUserGrain.Recommend"/> answers.</summary>
    [Alias("Recommend")]
    [ResponseTimeout("00:00:05")]
    Task<RecommendationResponse> Recommend(string userId, RecommendationRequest request);
}

/// <summary>One cohort (key = stable cohort id; 0 = all users, the global baseline).</summary>
[Alias("cohortly.ICohortGrain")]
public interface ICohortGrain : IGrainWithIntegerKey
{
    [Alias("GetSnapshot"), ReadOnly]
    Task<CohortSnapshot> GetSnapshot();

    /// <summary>Adds a silo's pre-aggregated activity and returns the updated snapshot for the silo's cache.</summary>
    [Alias("ApplyDelta")]
    Task<CohortSnapshot> ApplyDelta(CohortDelta delta);

    /// <summary>Sets label and centroid from a new segmentation version.</summary>
    [Alias("Define")]
    Task Define(string label, IReadOnlyList<FeatureValue> centroid, long segmentationVersion);

    /// <summary>
    /// Records the model version serving this cohort, whether it uses its adapted (cohort) model, and the serving
    /// policy that version's training proposes (null: the version proposes none, so the model's default serves). An
    /// operator's override stays in effect.
    /// </summary>
    [Alias("AdoptModel")]
    Task AdoptModel(long modelVersion, bool adapted, Cohortly.Modeling.Training.ServingPolicy? proposedPolicy);

    /// <summary>
    /// Serves the cohort with the global weights until the next <see cref="AdoptModel"/> (a drift action); returns the
    /// snapshot that publishes it. Asking again keeps the first time and takes the newer reason.
    /// </summary>
    [Alias("ServeGlobalUntilNextVersion")]
    Task<CohortSnapshot> ServeGlobalUntilNextVersion(string reason);

    [Alias("GetPolicy"), ReadOnly]
    Task<CohortPolicy> GetPolicy();

    /// <summary>Puts an operator's policy in effect until <see cref="ClearPolicyOverride"/>; an invalid one: <see cref="InvalidPolicyException"/>.</summary>
    [Alias("OverridePolicy")]
    Task<CohortPolicy> OverridePolicy(Cohortly.Modeling.Training.ServingPolicy policy);

    /// <summary>Returns the cohort to training's proposal.</summary>
    [Alias("ClearPolicyOverride")]
    Task<CohortPolicy> ClearPolicyOverride();
}

/// <summary>
/// Keeps the segmentation versions and the silos' feature samples. It builds no version itself: every version comes
/// from the training grain's one queue of runs (full training or segmentation-only).
/// </summary>
[Alias("cohortly.ISegmentationGrain")]
public interface ISegmentationGrain : IGrainWithStringKey
{
    public const string Key = "current";

    [Alias("GetVersion"), ReadOnly]
    Task<long> GetVersion();

    [Alias("GetCurrent"), ReadOnly]
    Task<SegmentationVersionInfo?> GetCurrent();

    [Alias("GetHistory"), ReadOnly]
    Task<IReadOnlyList<SegmentationVersionInfo>> GetHistory();

    /// <summary>A kept version by number, or null when it is not (or no longer) kept.</summary>
    [Alias("Find"), ReadOnly]
    Task<SegmentationVersionInfo?> Find(long version);

    /// <summary>
    /// Asks the training grain for a segmentation-only run and returns the version it published; a run already
    /// queued is shared, and one requested during a training run waits for it. Interleaves: it only waits.
    /// </summary>
    [Alias("Recompute"), AlwaysInterleave, ResponseTimeout("00:30:00")]
    Task<SegmentationVersionInfo> Recompute();

    [Alias("SubmitSample")]
    Task SubmitSample(FeatureSample sample);

    /// <summary>
    /// Drops an erased user's rows from the kept samples and from every sample pushed in the next minutes, and lists
    /// the user in <see cref="ErasedUsers"/> meanwhile, so no segmentation, map or drift check uses their features again.
    /// </summary>
    [Alias("ForgetUser")]
    Task ForgetUser(string userId, DateTimeOffset erasedAt);

    /// <summary>Users erased in the last minutes: each silo forgets their features before it pushes its sample.</summary>
    [Alias("ErasedUsers"), ReadOnly]
    Task<IReadOnlyList<string>> ErasedUsers();

    /// <summary>The merged sample a segmentation-only run clusters.</summary>
    [Alias("GetSample")]
    Task<SegmentationSample> GetSample();

    /// <summary>Keeps a version the training grain built if it is newer than the current one; returns the current version.</summary>
    [Alias("Publish")]
    Task<long> Publish(SegmentationVersionInfo info);

    /// <summary>
    /// The current sample projected on the first two principal components under a kept version (at most
    /// <paramref name="maxPoints"/> users, seeded by the version), or null when the version is not kept.
    /// </summary>
    [Alias("GetMap")]
    Task<CohortMapView?> GetMap(long version, int maxPoints);

    /// <summary>A cohort's traits in the current version (standardized and natural units), or null when it has no such cohort.</summary>
    [Alias("DescribeCohort"), ReadOnly]
    Task<CohortTraitsView?> DescribeCohort(int cohortId);

    /// <summary>Distances of a user's raw features to every centroid of the current version; null without a version or with missing features.</summary>
    [Alias("Fit"), ReadOnly]
    Task<CohortFitView?> Fit(IReadOnlyDictionary<string, float> features);
}

[Alias("cohortly.ICatalogGrain")]
public interface ICatalogGrain : IGrainWithStringKey
{
    public const string Key = "catalog";

    [Alias("Upsert")]
    Task<long> Upsert(IReadOnlyList<ItemRecord> items);

    [Alias("Get"), ReadOnly]
    Task<ItemRecord?> Get(string itemId);

    [Alias("GetVersion"), ReadOnly]
    Task<long> GetVersion();

    [Alias("GetSnapshot"), ReadOnly]
    Task<CatalogSnapshot> GetSnapshot();
}

/// <summary>
/// Item-to-item answers from the silo's active model (stateless worker: every silo answers locally, no hot grain).
/// Key 0.
/// </summary>
[Alias("cohortly.IItemSimilarityGrain")]
public interface IItemSimilarityGrain : IGrainWithIntegerKey
{
    /// <summary>Similar available items, or null when the active model does not know the item.</summary>
    /// <exception cref="InsufficientDataException">No model has been trained and activated yet.</exception>
    [Alias("Similar"), ReadOnly]
    Task<SimilarItemsResponse?> Similar(string itemId, int count);
}
