using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// What the recommenders train on: the training interactions plus the sparse views they need, built once and shared
/// by every model (and every configuration of a search). Optional user groups (cohort labels, -1 = none) let
/// group-aware models specialise.
/// </summary>
public sealed class TrainingData
{
    private readonly Lazy<SparseMatrix> _userItems;
    private readonly Lazy<SparseMatrix> _itemUsers;
    private readonly Lazy<SparseMatrix> _userItemValues;
    private readonly int[]? _userGroups;

    public TrainingData(InteractionDataset interactions, int[]? userGroups = null)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if (userGroups is not null && userGroups.Length != interactions.UserCount)
        {
            throw new ArgumentException($"expected {interactions.UserCount} user groups, got {userGroups.Length}", nameof(userGroups));
        }

        Interactions = interactions;
        _userGroups = userGroups;
        var groups = 0;
        if (userGroups is not null)
        {
            foreach (var g in userGroups)
            {
                groups = Math.Max(groups, g + 1);
            }
        }

        GroupCount = groups;
        _userItems = new Lazy<SparseMatrix>(() => SparseMatrix.UserItem(interactions, binary: true));
        _itemUsers = new Lazy<SparseMatrix>(() => _userItems.Value.Transpose());
        _userItemValues = new Lazy<SparseMatrix>(() => SparseMatrix.UserItem(interactions, binary: false));
    }

    public InteractionDataset Interactions { get; }

    public DatasetCatalog Catalog => Interactions.Catalog;

    public int UserCount => Interactions.UserCount;

    public int ItemCount => Interactions.ItemCount;

    /// <summary>User→item matrix with 1 for every interacted pair.</summary>
    public SparseMatrix UserItems => _userItems.Value;

    /// <summary>Item→user matrix with 1 for every interacted pair.</summary>
    public SparseMatrix ItemUsers => _itemUsers.Value;

    /// <summary>User→item matrix with the summed interaction values.</summary>
    public SparseMatrix UserItemValues => _userItemValues.Value;

    public bool HasUserGroups => _userGroups is not null;

    /// <summary>Group label per user (-1 = none); empty when no groups were given.</summary>
    public ReadOnlySpan<int> UserGroups => _userGroups;

    public int GroupCount { get; }
}
