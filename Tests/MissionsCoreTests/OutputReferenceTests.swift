import AgionJSON
@testable import MissionsCore
import Testing

/// The `{"$output": ...}` convention: what is a reference and what is not,
/// and how a step input naming a stored output (or a part of it) renders.
@Suite struct OutputReferenceTests {
    static let digest = "sha256:" + String(repeating: "0f", count: 32)

    @Test func aReferenceIsExactlyOneKeyHoldingADigestAndASize() {
        let reference = OutputReference(digest: Self.digest, size: 20_000_000)
        #expect(OutputReference(reference.json) == reference)
        #expect(OutputReference(reference.appending(["a", "2"]).json)?.path == ["a", "2"])
        // Through protobuf's Value every number is a double: still a reference.
        #expect(OutputReference(["$output": ["digest": .string(Self.digest), "size": .number(5)]])?.size == 5)
        let notReferences: [JSONValue] = [
            ["$output": ["digest": .string(Self.digest), "size": 5], "other": 1],             // a second key
            ["$output": ["digest": "sha256:abc", "size": 5]],                                  // short digest
            ["$output": ["digest": .string(Self.digest.uppercased()), "size": 5]],            // not lowercase hex
            ["$output": ["digest": .string(Self.digest), "size": -1]],                         // negative size
            ["$output": ["digest": .string(Self.digest), "size": .number(1.5)]],              // not whole
            ["$output": ["digest": .string(Self.digest), "size": 5, "path": [1]]],            // path of non-strings
            ["$output": .string(Self.digest)], "text", .null,
        ]
        for value in notReferences { #expect(OutputReference(value) == nil, "\(value)") }
        #expect(OutputReference.occurs(in: ["list": [1, reference.json]]))
        #expect(!OutputReference.occurs(in: ["list": [1, ["$output": "no"]]]))
    }

    @Test func anInputNamingAStoredOutputGetsTheReferenceWithItsPath() throws {
        let stored = OutputReference(digest: Self.digest, size: 16_000_000)
        let template: JSONValue = ["all": ["$ref": "steps.big.output"], "part": ["$ref": "steps.big.output.sections.2"],
                                   "small": ["$ref": "steps.small.output.x"]]
        let rendered = try InputTemplate.render(template, input: .null, outputs: ["big": stored.json, "small": ["x": 1]])
        #expect(rendered == ["all": stored.json, "part": stored.appending(["sections", "2"]).json, "small": 1])
    }

    @Test func replacingResolvesEveryReferenceWhereverItIs() async throws {
        let stored = OutputReference(digest: Self.digest, size: 3)
        let value: JSONValue = ["a": stored.json, "b": [stored.appending(["k"]).json, "kept"]]
        let replaced = try await OutputReference.replacing(in: value) { reference in .string(reference.path.joined(separator: ".")) }
        #expect(replaced == ["a": "", "b": ["k", "kept"]])
    }
}
