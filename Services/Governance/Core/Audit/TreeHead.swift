import AgionContract
import AgionEnvelope
import Crypto
import Foundation

/// A tree head: the root of a tenant's audit log when it held `treeSize`
/// records, and when it was taken. Signed, it is a commitment anyone can keep
/// outside the database: every later head must extend it (a consistency
/// proof), and every decision in it has an inclusion proof against its root.
public struct TreeHead: Sendable, Hashable {
    public var tenant: String
    public var treeSize: UInt64
    public var rootHash: MerkleTree.Hash
    public var timestampMillis: Int64

    public init(tenant: String, treeSize: UInt64, rootHash: MerkleTree.Hash, timestampMillis: Int64) {
        self.tenant = tenant
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.timestampMillis = timestampMillis
    }

    /// The bytes the signature covers, a fixed layout an auditor rebuilds in
    /// any language (docs/governance.md): the ASCII label
    /// `agion-audit-tree-head-v1`, a zero byte, the tenant in UTF-8, a zero
    /// byte, the tree size and the timestamp (milliseconds since 1970) as
    /// 8-byte big-endian integers, and the 32-byte root hash. The tenant is in
    /// them so a head of one tenant cannot pass for another's.
    public var signedBytes: [UInt8] {
        var bytes = Array(Self.label.utf8) + [0] + Array(tenant.utf8) + [0]
        withUnsafeBytes(of: treeSize.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt64(bitPattern: timestampMillis).bigEndian) { bytes += $0 }
        return bytes + rootHash
    }

    public static let label = "agion-audit-tree-head-v1"
}

/// A tree head with its Ed25519 signature and the id of the key that made it.
public struct SignedTreeHead: Sendable, Hashable {
    public var head: TreeHead
    public var keyID: String
    public var signature: [UInt8]

    public init(head: TreeHead, keyID: String, signature: [UInt8]) {
        self.head = head
        self.keyID = keyID
        self.signature = signature
    }

    /// Whether `publicKey` (32 raw bytes) signed this head.
    public func isSigned(by publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey), signature.count == 64,
              SigningKeyID.of(publicKey: publicKey) == keyID else { return false }
        return key.isValidSignature(signature, for: head.signedBytes)
    }
}

public enum SigningKeyID {
    /// A key's id: the first 8 bytes of SHA-256 of its raw public key, in hex.
    /// Heads name the key that signed them, so keys can rotate while heads
    /// signed by earlier ones still verify.
    public static func of(publicKey: [UInt8]) -> String { SHA256.hash(publicKey).prefix(8).hexString }
}

/// The Ed25519 key that signs a governance replica's tree heads.
public struct TreeHeadSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey
    public let publicKey: [UInt8]
    public let keyID: String

    public init(rawPrivateKey: [UInt8]) throws(KeyFileError) {
        guard rawPrivateKey.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: rawPrivateKey) else {
            throw KeyFileError(message: "an Ed25519 private key is 32 bytes (got \(rawPrivateKey.count))")
        }
        self.key = key
        self.publicKey = Array(key.publicKey.rawRepresentation)
        self.keyID = SigningKeyID.of(publicKey: publicKey)
    }

    /// A new random key.
    public static func generate() -> TreeHeadSigner {
        try! TreeHeadSigner(rawPrivateKey: Array(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    public func sign(_ head: TreeHead) throws -> SignedTreeHead {
        SignedTreeHead(head: head, keyID: keyID, signature: Array(try key.signature(for: head.signedBytes)))
    }

    /// The key as a PKCS #8 PEM file, the format `openssl genpkey -algorithm
    /// ed25519` writes and `init(pem:)` reads.
    public var pem: String {
        let der = Self.pkcs8Prefix + Array(key.rawRepresentation)
        return "-----BEGIN PRIVATE KEY-----\n" + Data(der).base64EncodedString() + "\n-----END PRIVATE KEY-----\n"
    }

    /// Reads a PKCS #8 PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`).
    public init(pem: String) throws(KeyFileError) {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard pem.contains("-----BEGIN PRIVATE KEY-----"), let der = Data(base64Encoded: body).map(Array.init) else {
            throw KeyFileError(message: "not a PEM private key (expected -----BEGIN PRIVATE KEY-----)")
        }
        guard der.count == Self.pkcs8Prefix.count + 32, Array(der.prefix(Self.pkcs8Prefix.count)) == Self.pkcs8Prefix else {
            throw KeyFileError(message: "not an Ed25519 private key (openssl genpkey -algorithm ed25519 makes one)")
        }
        try self.init(rawPrivateKey: Array(der.suffix(32)))
    }

    /// PrivateKeyInfo with algorithm id 1.3.101.112 (Ed25519, RFC 8410) and
    /// the 32-byte key as an OCTET STRING inside the privateKey OCTET STRING.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
}

public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

extension SignedTreeHead {
    /// From the served form (hex fields); nil if a field is not valid hex or sizes are negative.
    public init?(_ served: AuditTreeHead) {
        guard served.treeSize >= 0, let root = [UInt8](hex: served.rootHash), root.count == 32,
              let signature = [UInt8](hex: served.signature) else { return nil }
        self.init(head: TreeHead(tenant: served.tenant, treeSize: UInt64(served.treeSize), rootHash: root, timestampMillis: served.timestampUnixMillis),
                  keyID: served.keyID, signature: signature)
    }
}

extension AuditTreeHead {
    public init(_ signed: SignedTreeHead) {
        self.init(tenant: signed.head.tenant, treeSize: Int64(signed.head.treeSize), rootHash: signed.head.rootHash.hexString,
                  timestampUnixMillis: signed.head.timestampMillis, keyID: signed.keyID, signature: signed.signature.hexString)
    }
}
