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

    /// Parses presented text; nil for anything that is not shaped like a key.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let rest = text.dropFirst(Self.prefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<separator], secret = rest[rest.index(after: separator)...]
        guard id.count == 16, id.allSatisfy(\.isHexDigit), secret.count == 43,
              secret.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        self.init(keyID: String(id), secret: String(secret))
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
