import AgionEnvelope
import Crypto

/// SHA-256 for the audit hash chain and policy digests: swift-crypto's
/// (BoringSSL, with the CPU's SHA instructions), behind the small interface
/// the chain uses. A hand-written version here was 5-8% of governance's CPU
/// under load (every decision is hashed into its tenant's chain); the tests
/// check the standard's vectors either way.
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: bytes))
    }

    public mutating func update(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
    }

    /// The digest of everything given so far.
    public mutating func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }
}
