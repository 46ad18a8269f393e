import AgionBus
import AgionEnvelope
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Turns a request's credential into a `Credential`: an API key in
/// `Authorization: Bearer agion_…` or `X-API-Key`, or a JWT bearer token when
/// `jwt` is configured.
///
/// Keys are looked up in PostgreSQL and remembered for `cacheTTL`, so a busy
/// key costs one query per TTL, not one per request. A revocation is
/// broadcast to every gateway replica, which forget the key at once; the TTL
/// bounds the delay if a broadcast is missed.
final class Authenticator: Sendable {
    static let revokedSubject = "agion.gateway.keys.revoked"

    let keys: KeyStore
    let jwt: JWTVerifier?
    let cacheTTL: Duration
    private let cache = Mutex<[String: (record: KeyStore.KeyRecord?, expires: ContinuousClock.Instant)]>([:])
    /// Keys as presented that matched their stored digest, until their record's
    /// cache entry expires: a busy key is checked once per TTL, not hashed
    /// (SHA-256) and parsed on every request. Only successes are kept.
    private let verified = Mutex<[String: (credential: Credential, keyID: String, expires: ContinuousClock.Instant)]>([:])
    static let maxCachedKeys = 100_000

    init(keys: KeyStore, jwt: JWTVerifier? = nil, cacheTTL: Duration = .seconds(5)) {
        self.keys = keys
        self.jwt = jwt
        self.cacheTTL = cacheTTL
    }

    func authenticate(_ headers: HTTPFields) async throws -> Credential {
        guard let presented = Self.presentedKey(headers) else {
            throw Problem(.unauthenticated, "send an API key as 'Authorization: Bearer agion_…' or 'X-API-Key'",
                          headers: [.wwwAuthenticate: "Bearer realm=\"agion\""])
        }
        let now = ContinuousClock.now
        if let hit = verified.withLock({ $0[presented] }), hit.expires > now { return hit.credential }
        guard let key = APIKey(presented) else {
            if let jwt, JWTVerifier.looksLikeToken(presented) {
                do { return try jwt.verify(presented) } catch {
                    throw Problem(.unauthenticated, error.description, headers: [.wwwAuthenticate: "Bearer realm=\"agion\", error=\"invalid_token\""])
                }
            }
            throw Problem(.unauthenticated, jwt == nil ? "the credential is not an Agion API key" : "the credential is neither an Agion API key nor a JWT",
                          headers: [.wwwAuthenticate: "Bearer realm=\"agion\", error=\"invalid_token\""])
        }
        let record: KeyStore.KeyRecord?, expires: ContinuousClock.Instant
        do {
            (record, expires) = try await lookup(key.keyID)
        } catch {
            throw Problem(.serviceUnavailable, "credentials cannot be checked right now (the gateway's database does not answer)",
                          headers: [.retryAfter: "1"])
        }
        guard let record, key.matches(digest: record.digest) else {
            throw Problem(.unauthenticated, "unknown API key", headers: [.wwwAuthenticate: "Bearer realm=\"agion\", error=\"invalid_token\""])
        }
        guard record.revokedAt == nil else {
            throw Problem(.unauthenticated, "the API key was revoked", headers: [.wwwAuthenticate: "Bearer realm=\"agion\", error=\"invalid_token\""])
        }
        let credential = record.credential
        verified.withLock { verified in
            if verified.count >= Self.maxCachedKeys { verified.removeAll(keepingCapacity: true) }
            verified[presented] = (credential, key.keyID, expires)
        }
        return credential
    }

    /// Forgets a key on this replica (a revocation here or on another replica).
    func forget(_ keyID: String) {
        _ = cache.withLock { $0.removeValue(forKey: keyID) }
        verified.withLock { verified in verified = verified.filter { $0.value.keyID != keyID } }
    }

    /// The key's record (nil: no such key) and until when this replica trusts it.
    private func lookup(_ keyID: String) async throws -> (KeyStore.KeyRecord?, ContinuousClock.Instant) {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[keyID] }), cached.expires > now { return (cached.record, cached.expires) }
        let record = try await keys.key(id: keyID)
        let expires = now + cacheTTL
        cache.withLock { cache in
            // Bounded: unknown ids are cached too (a flood of made-up keys must not reach PostgreSQL each time).
            if cache.count > Self.maxCachedKeys { cache.removeAll(keepingCapacity: true) }
            cache[keyID] = (record, expires)
        }
        return (record, expires)
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if var authorization = headers[.authorization] {
            // "Bearer" in any case, then the credential without surrounding blanks (byte-wise: this runs on every request).
            return authorization.withUTF8 { bytes -> String? in
                guard bytes.count > 7 else { return nil }
                for (index, expected) in "bearer ".utf8.enumerated() where bytes[index] | 0x20 != expected { return nil }
                let isBlank = { (c: UInt8) in c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
                var start = 7, end = bytes.count
                while start < end, isBlank(bytes[start]) { start += 1 }
                while end > start, isBlank(bytes[end - 1]) { end -= 1 }
                return start < end ? String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) : nil
            }
        }
        return headers[apiKeyHeader]
    }

    static let apiKeyHeader = HTTPField.Name("X-API-Key")!
}
