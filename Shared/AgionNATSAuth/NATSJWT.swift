import AgionJSON
import Crypto
import Foundation

/// NATS JWTs (nats-io/jwt v2, which nats-server 2.9 reads): a header, the
/// claims and an Ed25519 signature by the issuer's nkey, each base64url.
public enum NATSJWT {
    static let header = #"{"typ":"JWT","alg":"ed25519-nkey"}"#

    /// Signs `nats` (the claim's `nats` section, without `type` and `version`)
    /// for `subject`, issued by `issuer` at `issuedAt` (seconds since 1970).
    /// The id (`jti`) is a digest of everything else, so the same claims give
    /// the same JWT and NATS's account store skips an unchanged re-publish
    /// while any change, even within the second, is a new JWT.
    public static func encode(type: String, subject: String, name: String, nats: [String: JSONValue], issuer: NKey,
                              issuedAt: Int64, expires: Int64? = nil) throws -> String {
        var section = nats
        section["type"] = .string(type)
        section["version"] = .integer(2)
        var claims: [String: JSONValue] = [
            "iat": .integer(issuedAt), "iss": .string(issuer.publicKey), "name": .string(name), "sub": .string(subject),
            "nats": .object(section),
        ]
        if let expires { claims["exp"] = .integer(expires) }
        let digest = SHA256.hash(data: JSONValue.object(claims).serialized)
        claims["jti"] = .string(NKeyEncoding.base32(Array(digest)))
        let signingInput = base64URL(Array(header.utf8)) + "." + base64URL(JSONValue.object(claims).serialized)
        return signingInput + "." + base64URL(try issuer.sign(Array(signingInput.utf8)))
    }

    /// The claims of `jwt` after checking its signature against its issuer.
    public static func verifiedClaims(_ jwt: String) throws(NKeyError) -> [String: JSONValue] {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = unbase64URL(parts[1]), let signature = unbase64URL(parts[2]),
              case .object(let claims)? = try? JSONValue.parse(payload), case .string(let issuer)? = claims["iss"] else {
            throw NKeyError("not a NATS JWT")
        }
        guard NKey.verify(signature, of: Array("\(parts[0]).\(parts[1])".utf8), by: issuer) else {
            throw NKeyError("the JWT's signature is not its issuer's")
        }
        return claims
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64URL(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// A `.creds` file: a user's JWT and its nkey seed, as nsc writes them and
/// NATS clients read them (`natsOptions_SetUserCredentialsFromFiles`,
/// nats-py's `user_credentials`).
public struct NATSCredentials: Sendable, Equatable {
    public let jwt: String
    public let seed: String

    public init(jwt: String, seed: String) {
        self.jwt = jwt
        self.seed = seed
    }

    public var fileContents: String {
        """
        -----BEGIN NATS USER JWT-----
        \(jwt)
        ------END NATS USER JWT------

        ************************* IMPORTANT *************************
        NKEY Seed printed below can be used to sign and prove identity.
        NKEYs are sensitive and should be treated as secrets.

        -----BEGIN USER NKEY SEED-----
        \(seed)
        ------END USER NKEY SEED------

        *************************************************************

        """
    }

    /// Reads a `.creds` file's contents.
    public init(fileContents text: String) throws(NKeyError) {
        let blocks = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func after(_ marker: String) -> String? {
            guard let index = blocks.firstIndex(where: { $0.hasPrefix("-----BEGIN") && $0.contains(marker) }), index + 1 < blocks.count else { return nil }
            return blocks[index + 1]
        }
        guard let jwt = after("USER JWT"), let seed = after("NKEY SEED"), !jwt.isEmpty, !seed.isEmpty else {
            throw NKeyError("not a NATS credentials file (no JWT or no seed)")
        }
        self.init(jwt: jwt, seed: seed)
    }

    /// The user's public key (the JWT's subject): Agion's agent credentials
    /// allow replies only under `_INBOX.<public key>.`, so clients set that as
    /// their inbox prefix.
    public var userPublicKey: String? {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3, let payload = NATSJWT.unbase64URL(parts[1]),
              case .object(let claims)? = try? JSONValue.parse(payload), case .string(let subject)? = claims["sub"] else { return nil }
        return subject
    }

    /// The inbox prefix these credentials allow replies on.
    public var inboxPrefix: String? { userPublicKey.map { "_INBOX.\($0)" } }
}
