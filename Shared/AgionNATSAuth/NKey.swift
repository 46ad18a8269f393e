import Crypto
import Foundation

/// An NATS nkey: an Ed25519 key pair whose public key and seed are written
/// the way NATS writes them (base32, a prefix saying what the key is, a
/// CRC-16 checksum). Operators, accounts and users are each one nkey; JWTs are
/// signed with them (docs/security.md).
public struct NKey: Sendable {
    public enum Kind: UInt8, Sendable {
        case `operator` = 112 // 14 << 3, encodes to 'O'
        case account = 0      // encodes to 'A'
        case user = 160       // 20 << 3, encodes to 'U'
    }

    public let kind: Kind
    private let privateKey: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init(_ kind: Kind) {
        self.kind = kind
        privateKey = Curve25519.Signing.PrivateKey()
    }

    /// The key whose 32-byte Ed25519 seed is `raw` (for keys derived from a secret).
    public init(_ kind: Kind, rawSeed raw: some ContiguousBytes) throws {
        self.kind = kind
        privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    /// Reads a seed (`SO...`, `SA...`, `SU...`).
    public init(seed: String) throws(NKeyError) {
        let bytes = try NKeyEncoding.decode(seed.trimmingCharacters(in: .whitespacesAndNewlines))
        guard bytes.count == 34, bytes[0] & 0xF8 == NKeyEncoding.seedPrefix else { throw NKeyError("not an nkey seed") }
        let prefix = ((bytes[0] & 0x07) << 5) | ((bytes[1] & 0xF8) >> 3)
        guard let kind = Kind(rawValue: prefix) else { throw NKeyError("not an operator, account or user seed") }
        self.kind = kind
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: bytes[2...])
        } catch {
            throw NKeyError("the seed is not an Ed25519 seed")
        }
    }

    /// The public key, for example `UAB...` for a user.
    public var publicKey: String {
        NKeyEncoding.encode([kind.rawValue] + privateKey.publicKey.rawRepresentation)
    }

    /// The seed (the secret): `S` then the kind's letter.
    public var seed: String {
        let prefix = kind.rawValue
        let head: [UInt8] = [NKeyEncoding.seedPrefix | (prefix >> 5), (prefix & 31) << 3]
        return NKeyEncoding.encode(head + privateKey.rawRepresentation)
    }

    public func sign(_ data: some DataProtocol) throws -> [UInt8] {
        Array(try privateKey.signature(for: data))
    }

    /// Whether `signature` over `data` was made by the key `publicKey` names.
    public static func verify(_ signature: [UInt8], of data: [UInt8], by publicKey: String) -> Bool {
        guard let bytes = try? NKeyEncoding.decode(publicKey), bytes.count == 33,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes[1...]) else { return false }
        return key.isValidSignature(signature, for: data)
    }
}

public struct NKeyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Base32 (RFC 4648, no padding) with a trailing little-endian CRC-16/XMODEM,
/// as nkeys write keys.
enum NKeyEncoding {
    static let seedPrefix: UInt8 = 144 // 18 << 3, encodes to 'S'
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// A key: `payload` and its checksum, in base32.
    static func encode(_ payload: [UInt8]) -> String {
        let crc = crc16(payload)
        return base32(payload + [UInt8(crc & 0xFF), UInt8(crc >> 8)])
    }

    /// Plain base32 without padding.
    static func base32(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) throws(NKeyError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for char in text.utf8 {
            guard let value = alphabet.firstIndex(of: char) else { throw NKeyError("not base32") }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        guard out.count > 2 else { throw NKeyError("too short for an nkey") }
        let payload = Array(out.dropLast(2))
        let crc = UInt16(out[out.count - 2]) | UInt16(out[out.count - 1]) << 8
        guard crc16(payload) == crc else { throw NKeyError("the nkey's checksum does not match") }
        return payload
    }

    static func crc16(_ data: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for byte in data {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}
