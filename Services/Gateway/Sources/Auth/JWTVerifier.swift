import AgionContract
import AgionJSON
import Crypto
import CryptoExtras
import Foundation

/// Bearer tokens from an identity provider: HS256 with a shared secret, RS256
/// and ES256 with configured public keys. The issuer, the audience and the
/// expiry are always checked; the tenant, role and agent scope come from
/// claims. `alg: none` and any algorithm without a configured key are refused.
/// Platform administration is never granted by a token (API keys only).
public struct JWTVerifier: Sendable {
    public enum PublicKey: Sendable {
        case rsa(_RSA.Signing.PublicKey, keyID: String?)
        case p256(P256.Signing.PublicKey, keyID: String?)

        /// A PEM public key (RSA or P-256), named `keyID` for tokens that carry a `kid`.
        public init(pem: String, keyID: String?) throws {
            if let key = try? P256.Signing.PublicKey(pemRepresentation: pem) { self = .p256(key, keyID: keyID); return }
            self = .rsa(try _RSA.Signing.PublicKey(pemRepresentation: pem), keyID: keyID)
        }

        var keyID: String? {
            switch self { case .rsa(_, let id), .p256(_, let id): id }
        }
    }

    public struct Settings: Sendable {
        public var hs256Secret: [UInt8]?
        public var publicKeys: [PublicKey] = []
        public var issuer: String
        public var audience: String
        public var tenantClaim = "tenant"
        public var roleClaim = "role"
        public var agentScopeClaim = "agent_scope"
        /// Clock skew tolerated for `exp` and `nbf`.
        public var leeway: TimeInterval = 30

        public init(hs256Secret: [UInt8]? = nil, publicKeys: [PublicKey] = [], issuer: String, audience: String) {
            self.hs256Secret = hs256Secret
            self.publicKeys = publicKeys
            self.issuer = issuer
            self.audience = audience
        }
    }

    public let settings: Settings

    public init(_ settings: Settings) { self.settings = settings }

    /// Whether `text` looks like a JWT (three base64url segments).
    static func looksLikeToken(_ text: String) -> Bool { text.split(separator: ".", omittingEmptySubsequences: false).count == 3 }

    public func verify(_ token: String, now: Date = Date()) throws(JWTError) -> Credential {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Data(base64URLEncoded: parts[0]), let payloadBytes = Data(base64URLEncoded: parts[1]),
              let signature = Data(base64URLEncoded: parts[2]) else { throw JWTError("the token is not a JWT (three base64url parts)") }
        guard case .object(let header)? = try? JSONValue.parse(Array(headerBytes)) else { throw JWTError("the token's header is not a JSON object") }
        guard case .object(let claims)? = try? JSONValue.parse(Array(payloadBytes)) else { throw JWTError("the token's claims are not a JSON object") }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        let algorithm = header["alg"]?.stringValue ?? ""
        let keyID = header["kid"]?.stringValue
        guard try verifySignature(algorithm: algorithm, keyID: keyID, signed: signed, signature: signature) else {
            throw JWTError("the token's signature does not verify")
        }
        return try credential(from: claims, now: now)
    }

    private func verifySignature(algorithm: String, keyID: String?, signed: Data, signature: Data) throws(JWTError) -> Bool {
        func candidates(_ matching: (PublicKey) -> Bool) -> [PublicKey] {
            settings.publicKeys.filter { matching($0) && (keyID == nil || $0.keyID == nil || $0.keyID == keyID) }
        }
        switch algorithm {
        case "HS256":
            guard let secret = settings.hs256Secret else { throw JWTError("HS256 tokens are not accepted here") }
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: SymmetricKey(data: secret))
        case "RS256":
            let keys = candidates { if case .rsa = $0 { true } else { false } }
            guard !keys.isEmpty else { throw JWTError("RS256 tokens are not accepted here (no RSA key\(keyID.map { " with kid \($0)" } ?? ""))") }
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return keys.contains { key in
                guard case .rsa(let publicKey, _) = key else { return false }
                return publicKey.isValidSignature(rsaSignature, for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5)
            }
        case "ES256":
            let keys = candidates { if case .p256 = $0 { true } else { false } }
            guard !keys.isEmpty else { throw JWTError("ES256 tokens are not accepted here (no P-256 key\(keyID.map { " with kid \($0)" } ?? ""))") }
            guard let ecSignature = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return keys.contains { key in
                guard case .p256(let publicKey, _) = key else { return false }
                return publicKey.isValidSignature(ecSignature, for: SHA256.hash(data: signed))
            }
        default:
            throw JWTError("algorithm \(algorithm.isEmpty ? "(none)" : algorithm) is not accepted (HS256, RS256, ES256)")
        }
    }

    private func credential(from claims: [String: JSONValue], now: Date) throws(JWTError) -> Credential {
        let time = now.timeIntervalSince1970
        guard let expiry = Self.seconds(claims["exp"]) else { throw JWTError("the token has no expiry (exp)") }
        guard expiry + settings.leeway > time else { throw JWTError("the token expired at \(Date(timeIntervalSince1970: expiry).formatted(.iso8601))") }
        if let notBefore = Self.seconds(claims["nbf"]), notBefore - settings.leeway > time { throw JWTError("the token is not valid yet (nbf)") }
        guard claims["iss"]?.stringValue == settings.issuer else { throw JWTError("the token's issuer is not \(settings.issuer)") }
        let audiences: [String] = switch claims["aud"] {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap(\.stringValue)
        default: []
        }
        guard audiences.contains(settings.audience) else { throw JWTError("the token is not for audience \(settings.audience)") }
        guard let tenantText = claims[settings.tenantClaim]?.stringValue, let tenant = try? TenantID(tenantText) else {
            throw JWTError("the token has no valid \(settings.tenantClaim) claim")
        }
        guard let roleText = claims[settings.roleClaim]?.stringValue, let role = Credential.Role(rawValue: roleText) else {
            throw JWTError("the token's \(settings.roleClaim) claim is not one of \(Credential.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let scope = claims[settings.agentScopeClaim]?.stringValue
        if role == .agent, scope == nil { throw JWTError("an agent token needs an \(settings.agentScopeClaim) claim") }
        let subject = claims["sub"]?.stringValue ?? "unknown"
        // `groups`: the caller's groups, for approvals that name some (others are ignored, not refused).
        let groups: [String] = if case .array(let items)? = claims["groups"] {
            Array(items.compactMap(\.stringValue).filter(GroupName.isValid).prefix(16))
        } else { [] }
        return Credential(tenant: tenant.value, role: role, subject: "jwt:" + subject, agentScope: role == .agent ? scope : nil, groups: groups)
    }

    private static func seconds(_ value: JSONValue?) -> TimeInterval? {
        switch value {
        case .integer(let v)?: TimeInterval(v)
        case .number(let v)?: v
        default: nil
        }
    }
}

public struct JWTError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
