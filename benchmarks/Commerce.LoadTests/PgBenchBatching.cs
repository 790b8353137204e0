using System.Globalization;
using System.Text;

namespace Commerce.LoadTests;

/// <summary>
/// Rewrites a pgbench statement that makes one call over arrays of one into the same call over arrays of k, so that
/// pgbench's raw figure can be taken with the batches the PostgreSQL stores' group commit forms.
/// </summary>
internal static class PgBenchBatching
{
    /// <summary>
    /// The same statement for <paramref name="k"/> checkouts (or payments) at once, as the stores coalesce them: every per-item
    /// array argument (<c>ARRAY[...]</c>) becomes k elements, item g's ids (<c>:n</c>) suffixed with g (and a <c>:sku</c> moved by g, within
    /// <paramref name="skus"/>); every array literal is repeated k times, so counts and child arrays line up; scalars stay.
    /// </summary>
    public static string Batched(string statement, int k, int skus)
    {
        var result = new StringBuilder(statement.Length * 2);
        for (var i = 0; i < statement.Length;)
        {
            if (string.CompareOrdinal(statement, i, "ARRAY[", 0, 6) == 0)
            {
                var close = Close(statement, i + 5);
                var inner = statement[(i + 6)..close]
                    .Replace(":n::text)", ":n::text || '-' || g)", StringComparison.Ordinal)
                    .Replace(":sku::text", $"((:sku + g * 7919) % {skus} + 1)::text", StringComparison.Ordinal);
                result.Append(CultureInfo.InvariantCulture,
                    $"ARRAY(SELECT x.u FROM generate_series(1, {k}) AS g CROSS JOIN LATERAL unnest(ARRAY[{inner}]) WITH ORDINALITY AS x(u, o) ORDER BY g, x.o)");
                i = close + 1;
            }
            else if (statement[i] == '\'')
            {
                var end = EndOfLiteral(statement, i);
                var literal = statement[i..(end + 1)];
                var content = literal.Length > 4 && literal[1] == '{' && literal[^2] == '}' ? literal[2..^2] : null;
                result.Append(content is { Length: > 0 } && content.IndexOfAny(['\'', '"', '{', '}']) < 0
                    ? "'{" + string.Join(',', Enumerable.Repeat(content, k)) + "}'"
                    : literal);
                i = end + 1;
            }
            else
            {
                result.Append(statement[i++]);
            }
        }

        return result.ToString();
    }

    /// <summary>The index of the bracket closing the one at <paramref name="open"/>, skipping string literals.</summary>
    private static int Close(string s, int open)
    {
        var depth = 0;
        for (var i = open; i < s.Length; i++)
        {
            switch (s[i])
            {
                case '\'':
                    i = EndOfLiteral(s, i);
                    break;
                case '[':
                    depth++;
                    break;
                case ']' when --depth == 0:
                    return i;
            }
        }

        throw new FormatException("Unbalanced brackets in the pgbench script.");
    }

    /// <summary>The index of the quote ending the literal that starts at <paramref name="start"/> ('' is an escaped quote).</summary>
    private static int EndOfLiteral(string s, int start)
    {
        var i = s.IndexOf('\'', start + 1);
        while (i + 1 < s.Length && s[i + 1] == '\'')
        {
            i = s.IndexOf('\'', i + 2);
        }

        return i;
    }
}
