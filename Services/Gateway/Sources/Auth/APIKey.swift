import Crypto
import Foundation

/// An API key as handed to its owner: `agion_<key id>_<secret>`. The key id
/// (16 hex digits) finds the row; the secret (43 base64url characters, 256
/// random bits) is checked against its SHA-256. The prefix lets secret
/// scanners recognise a leaked key.
public struct APIKey: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "agion_"
    public let keyID: String
    public let secret: String

    /// A new key from the system's cryptographic random source.
    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let secretBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return APIKey(keyID: id, secret: Data(secretBytes).base64URLEncoded)
    }

    init(keyID: String, secret: String) {
        self.keyID = keyID
        self.secret = secret
    }

    /// Parses presented text; nil for anything that is not shaped like a key
    /// (`agion_`, 16 hex digits, `_`, 43 base64url characters). Byte-wise:
    /// it runs on every request that is not in the authenticator's cache.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        let prefix = Self.prefix.utf8, idEnd = prefix.count + 16
        guard bytes.count == idEnd + 1 + 43, bytes.starts(with: prefix), bytes[idEnd] == UInt8(ascii: "_"),
              bytes[prefix.count..<idEnd].allSatisfy(Self.isHexDigit), bytes[(idEnd + 1)...].allSatisfy(Self.isBase64URL) else { return nil }
        self.init(keyID: String(decoding: bytes[prefix.count..<idEnd], as: UTF8.self),
                  secret: String(decoding: bytes[(idEnd + 1)...], as: UTF8.self))
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c)
    }

    private static func isBase64URL(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
    }

    public var description: String { Self.prefix + keyID + "_" + secret }

    public var secretDigest: [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }

    /// Constant-time comparison with a stored digest.
    public func matches(digest stored: [UInt8]) -> Bool {
        let digest = secretDigest
        guard digest.count == stored.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(digest, stored) { difference |= a ^ b }
        return difference == 0
    }
}

extension Data {
    /// RFC 4648 base64url without padding (API keys, JWT segments).
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: some StringProtocol) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
