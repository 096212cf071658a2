using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving;

public sealed class CategoryFilterTests
{
    [Theory]
    [InlineData("books", null, null, true)]
    [InlineData("books", "Books", null, true)]
    [InlineData("books", "games", null, false)]
    [InlineData("books", null, "BOOKS", false)]
    [InlineData("books", "books", "books", false)]
    [InlineData(null, "books", null, false)]
    [InlineData(null, null, "books", true)]
    public void Include_needs_a_shared_category_and_exclude_wins_ignoring_case(string? category, string? include, string? exclude, bool passes)
    {
        IReadOnlyList<string>? categories = category is null ? null : [category];

        Assert.Equal(passes, CategoryFilter.Passes(categories, include is null ? null : [include], exclude is null ? null : [exclude]));
    }
}
