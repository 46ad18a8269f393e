import AgionGateway
import AgionJSON
import Crypto
import CryptoExtras
import Foundation
import Testing

/// Tokens as an identity provider would sign them.
enum TokenMaker {
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func claims(tenant: String = "acme", role: String = "viewer", audience: JSONValue = "agion", issuer: String = "https://idp.example",
                       expiresIn: TimeInterval = 300, extra: [String: JSONValue] = [:]) -> JSONValue {
        var claims: [String: JSONValue] = ["iss": .string(issuer), "aud": audience, "sub": "alice", "tenant": .string(tenant), "role": .string(role),
                                           "exp": .integer(Int64(Date().timeIntervalSince1970 + expiresIn))]
        claims.merge(extra) { $1 }
        return .object(claims)
    }

    static func token(_ claims: JSONValue, algorithm: String, keyID: String? = nil, sign: (Data) throws -> Data) rethrows -> String {
        var header: [String: JSONValue] = ["alg": .string(algorithm), "typ": "JWT"]
        if let keyID { header["kid"] = .string(keyID) }
        let signed = base64URL(Data(JSONValue.object(header).serialized)) + "." + base64URL(Data(claims.serialized))
        return signed + "." + base64URL(try sign(Data(signed.utf8)))
    }

    static func hs256(_ claims: JSONValue, secret: String) -> String {
        token(claims, algorithm: "HS256") { Data(HMAC<SHA256>.authenticationCode(for: $0, using: SymmetricKey(data: Data(secret.utf8)))) }
    }
}

@Suite struct JWTVerifierTests {
    static let secret = String(repeating: "s", count: 32)
    let verifier = JWTVerifier(.init(hs256Secret: Array(Self.secret.utf8), issuer: "https://idp.example", audience: "agion"))

    func refusal(_ token: String) -> String? {
        do { _ = try verifier.verify(token); return nil } catch { return error.description }
    }

    @Test func aValidHS256TokenGivesItsTenantRoleAndSubject() throws {
        let credential = try verifier.verify(TokenMaker.hs256(TokenMaker.claims(role: "operator", audience: ["other", "agion"]), secret: Self.secret))
        #expect(credential == Credential(tenant: "acme", role: .operator, subject: "jwt:alice"))
        #expect(!credential.allows(.manageTenants))
    }

    @Test func expiredFutureForeignAndUnsignedTokensAreRefused() {
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(expiresIn: -120), secret: Self.secret))?.contains("expired") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(expiresIn: -10), secret: Self.secret)) == nil)  // within the 30 s leeway
        let notYet = TokenMaker.claims(extra: ["nbf": .integer(Int64(Date().timeIntervalSince1970 + 600))])
        #expect(refusal(TokenMaker.hs256(notYet, secret: Self.secret))?.contains("not valid yet") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(audience: "someone-else"), secret: Self.secret))?.contains("audience") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(issuer: "https://evil.example"), secret: Self.secret))?.contains("issuer") == true)
        var noExpiry = TokenMaker.claims()
        if case .object(var c) = noExpiry { c["exp"] = nil; noExpiry = .object(c) }
        #expect(refusal(TokenMaker.hs256(noExpiry, secret: Self.secret))?.contains("no expiry") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(), secret: String(repeating: "x", count: 32)))?.contains("signature") == true)
        #expect(refusal(TokenMaker.token(TokenMaker.claims(), algorithm: "none") { _ in Data() })?.contains("not accepted") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(role: "root"), secret: Self.secret))?.contains("role") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(role: "agent"), secret: Self.secret))?.contains("agent_scope") == true)
        #expect(refusal(TokenMaker.hs256(TokenMaker.claims(tenant: "Not A Tenant!"), secret: Self.secret))?.contains("tenant") == true)
        #expect(refusal("not.a.jwt") != nil)
        #expect(refusal("a.b") != nil)
        // A valid token with its claims swapped for others keeps the old signature.
        let parts = TokenMaker.hs256(TokenMaker.claims(), secret: Self.secret).split(separator: ".")
        let forged = parts[0] + "." + TokenMaker.base64URL(Data(TokenMaker.claims(role: "admin").serialized)) + "." + parts[2]
        #expect(refusal(String(forged))?.contains("signature") == true)
    }

    @Test func rs256AndES256TokensVerifyWithTheirPublicKeys() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let ec = P256.Signing.PrivateKey()
        let verifier = JWTVerifier(.init(publicKeys: [try .init(pem: rsa.publicKey.pemRepresentation, keyID: "rsa-1"),
                                                      try .init(pem: ec.publicKey.pemRepresentation, keyID: "ec-1")],
                                         issuer: "https://idp.example", audience: "agion"))
        let rs256 = try TokenMaker.token(TokenMaker.claims(role: "agent", extra: ["agent_scope": "langgraph-v2:*"]), algorithm: "RS256", keyID: "rsa-1") {
            try rsa.signature(for: SHA256.hash(data: $0), padding: .insecurePKCS1v1_5).rawRepresentation
        }
        #expect(try verifier.verify(rs256) == Credential(tenant: "acme", role: .agent, subject: "jwt:alice", agentScope: "langgraph-v2:*"))
        let es256 = try TokenMaker.token(TokenMaker.claims(), algorithm: "ES256", keyID: "ec-1") { try ec.signature(for: $0).rawRepresentation }
        #expect(try verifier.verify(es256).role == .viewer)
        // Signed by a key that is not configured; HS256 when no secret is.
        let stranger = P256.Signing.PrivateKey()
        let foreign = try TokenMaker.token(TokenMaker.claims(), algorithm: "ES256") { try stranger.signature(for: $0).rawRepresentation }
        #expect(throws: JWTError.self) { try verifier.verify(foreign) }
        #expect(throws: JWTError.self) { try verifier.verify(TokenMaker.hs256(TokenMaker.claims(), secret: Self.secret)) }
        // A kid naming another key does not verify with the wrong one.
        let misnamed = try TokenMaker.token(TokenMaker.claims(), algorithm: "ES256", keyID: "rsa-1") { try ec.signature(for: $0).rawRepresentation }
        #expect(throws: JWTError.self) { try verifier.verify(misnamed) }
    }
}
