import AgionJSON
@testable import MissionsCore
import Testing

@Suite struct TemplateTests {
    let input: JSONValue = ["topic": "solar", "pages": [10, 20, ["n": 30]]]

    @Test func referencesAreReplacedByWhatTheyPointAt() throws {
        let template: JSONValue = [
            "topic": ["$ref": "input.topic"], "third": ["$ref": "input.pages.2.n"], "all": ["$ref": "input"],
            "facts": ["$ref": "steps.research.output.summary"], "list": [["$ref": "input.pages.0"], "literal", 3],
            "not_a_ref": ["$ref": "input.topic", "other": 1],
        ]
        let outputs: [String: JSONValue] = ["research": ["summary": "sunny"]]
        let rendered = try InputTemplate.render(template, input: input, outputs: outputs)
        #expect(rendered == [
            "topic": "solar", "third": 30, "all": input, "facts": "sunny", "list": [10, "literal", 3],
            "not_a_ref": ["$ref": "input.topic", "other": 1],
        ])
    }

    @Test func theOutputOfAStepThatDidNotSucceedIsNull() throws {
        let rendered = try InputTemplate.render(["x": ["$ref": "steps.flaky.output.value"]], input: input, outputs: [:])
        #expect(rendered == ["x": .null])
    }

    @Test func aPathThatDoesNotExistIsAnErrorNamingTheReference() {
        #expect(throws: InputTemplate.RenderError(reference: .stepOutput(step: "a", path: ["missing"]))) {
            try InputTemplate.render(["x": ["$ref": "steps.a.output.missing"]], input: input, outputs: ["a": ["here": 1]])
        }
        #expect(throws: InputTemplate.RenderError(reference: .input(path: ["pages", "9"]))) {
            try InputTemplate.render(["$ref": "input.pages.9"], input: input, outputs: [:])
        }
    }

    @Test func referenceTextIsReadStrictly() {
        #expect(InputTemplate.Reference("input") == .input(path: []))
        #expect(InputTemplate.Reference("steps.a.output") == .stepOutput(step: "a", path: []))
        #expect(InputTemplate.Reference("steps.a.output.b.0") == .stepOutput(step: "a", path: ["b", "0"]))
        for bad in ["", "inputs.x", "steps.a", "steps.a.result", "input..x", "input.", "steps..output"] {
            #expect(InputTemplate.Reference(bad) == nil, "\(bad)")
        }
    }
}
