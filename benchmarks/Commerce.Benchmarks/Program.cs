using BenchmarkDotNet.Running;

namespace Commerce.Benchmarks;

/// <summary>
/// Runs the suite: <c>dotnet run -c Release --project benchmarks/Commerce.Benchmarks -- --filter '*'</c>, or with
/// BenchmarkDotNet's usual arguments (<c>--job short</c>, <c>--filter '*Contention*'</c>, ...).
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
