@testable import AgionGateway
import HTTPTypes
import Testing

/// Parsing presented API keys: exactly `agion_<16 hex>_<43 base64url>`.
@Suite struct APIKeyTests {
    static let secret = String(repeating: "Ab-_9", count: 8) + "xyz"

    @Test func aGeneratedKeyParsesBackToItself() {
        for _ in 0..<100 {
            let key = APIKey.generate()
            #expect(APIKey(key.description) == key)
            #expect(key.matches(digest: key.secretDigest))
        }
    }

    @Test func theKeyIdMayUseEitherCaseAndTheSecretTheBase64URLAlphabet() {
        let key = APIKey("agion_0123456789ABCdef_" + Self.secret)
        #expect(key?.keyID == "0123456789ABCdef")
        #expect(key?.secret == Self.secret)
    }

    static let malformed: [String] = {
        let id = "0123456789abcdef", short = String(secret.dropLast()), shorter = String(secret.dropLast(2))
        var cases: [String] = ["", "agion_"]
        cases.append("Agion_" + id + "_" + secret)             // the prefix is case-sensitive
        cases.append("agion_0123456789abcde_" + secret + "A")  // id one short
        cases.append("agion_" + id + "a" + secret)             // no separator after 16
        cases.append("agion_0123456789abcdeg_" + secret)       // not hex
        cases.append("agion_" + id + "_" + short)              // secret one short
        cases.append("agion_" + id + "_" + secret + "A")       // secret one long
        cases.append("agion_" + id + "_" + short + "=")        // padding is not base64url
        cases.append("agion_" + id + "_" + short + "é")        // not ASCII
        cases.append("agion_" + id + "_" + shorter + "٣")      // a digit, but not an ASCII one
        cases.append(" agion_" + id + "_" + short)
        return cases
    }()

    @Test(arguments: malformed)
    func anythingElseIsNotAKey(_ text: String) {
        #expect(APIKey(text) == nil)
    }

    @Test func theCredentialIsTakenFromEitherHeaderWithoutItsBlanks() {
        func presented(_ fields: [(String, String)]) -> String? {
            var headers = HTTPFields()
            for (name, value) in fields { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            return Authenticator.presentedKey(headers)
        }
        #expect(presented([("Authorization", "Bearer agion_x")]) == "agion_x")
        #expect(presented([("Authorization", "bEaReR \t agion_x \t ")]) == "agion_x")
        #expect(presented([("Authorization", "Bearer eyJ.a.b")]) == "eyJ.a.b")
        #expect(presented([("Authorization", "Bearer    ")]) == nil)
        #expect(presented([("Authorization", "Bearer")]) == nil)
        #expect(presented([("Authorization", "Basic dXNlcjpwYXNz")]) == nil)
        #expect(presented([("Authorization", "Bearer\tagion_x")]) == nil, "one space after the scheme")
        #expect(presented([("X-API-Key", "agion_y")]) == "agion_y")
        #expect(presented([("Authorization", "Basic x"), ("X-API-Key", "agion_y")]) == nil, "Authorization decides when present")
        #expect(presented([]) == nil)
    }
}
