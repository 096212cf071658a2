namespace Cohortly.Modeling.Serving;

/// <summary>
/// A request's category filters: with an include list an item needs one of those categories, and no item of an
/// excluded category passes. Names compare without case. Shared by the model pipeline and the popularity fallback.
/// </summary>
public static class CategoryFilter
{
    public static bool Passes(IReadOnlyList<string>? categories, IReadOnlyList<string>? include, IReadOnlyList<string>? exclude)
    {
        if (include is { Count: > 0 } && !Overlaps(include, categories))
        {
            return false;
        }

        return exclude is not { Count: > 0 } || !Overlaps(exclude, categories);
    }

    private static bool Overlaps(IReadOnlyList<string> wanted, IReadOnlyList<string>? categories)
    {
        if (categories is null)
        {
            return false;
        }

        for (var a = 0; a < wanted.Count; a++)
        {
            for (var b = 0; b < categories.Count; b++)
            {
                if (string.Equals(wanted[a], categories[b], StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
