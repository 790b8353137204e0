using System.Security.Cryptography;
using System.Text;

namespace Commerce.Testing;

/// <summary>Request fingerprints for tests: a readable label stands for a 128-bit fingerprint, the same label for the same one.</summary>
public static class TestFingerprints
{
    /// <summary>The fingerprint a label stands for.</summary>
    public static Guid Of(string label) => new(SHA256.HashData(Encoding.UTF8.GetBytes(label)).AsSpan(0, 16));
}
