import AgionJSON
import ExampleAgentKit
import Foundation

// agion-example-writer: a container with two agents, writer:author
// (capability `writing`) and writer:editor (capability `review`). The author
// reports token usage and cost as an LLM would, so budgets have something to
// count.
let author = AgentContainer.Agent(name: "author", capabilities: ["writing"],
                                  description: "Writes a short report from facts, reporting tokens and cost") { input, invocation in
    guard case .array(let facts)? = input["facts"], !facts.isEmpty else { throw Refusal("give facts: {\"topic\": \"...\", \"facts\": [...]}") }
    let topic = input["topic"]?.stringValue ?? "the topic"
    let lines = facts.compactMap(\.stringValue).map { "- \($0)." }
    let text = "# \(topic.capitalized): a short report\n\n" + lines.joined(separator: "\n")
        + "\n\nIn short, \(topic) is moving fast; see the sources for detail."
    let inputTokens = input.serializedString.split(separator: " ").count * 2
    let outputTokens = text.split(separator: " ").count * 2
    return AgentContainer.Answer(output: ["title": .string("\(topic.capitalized): a short report"), "text": .string(text),
                                          "words": .integer(Int64(text.split(separator: " ").count)),
                                          "mission": invocation.context["mission_id"] ?? .null],
                                 inputTokens: inputTokens, outputTokens: outputTokens,
                                 costUSD: Double(inputTokens) * 0.000_002 + Double(outputTokens) * 0.000_008)
}

let editor = AgentContainer.Agent(name: "editor", capabilities: ["review"], description: "Checks a report's length and shape") { input, _ in
    guard let text = input["text"]?.stringValue else { throw Refusal("give the report: {\"text\": \"...\"}") }
    let words = text.split(whereSeparator: \.isWhitespace).count
    var notes: [JSONValue] = []
    if !text.hasPrefix("# ") { notes.append("no title") }
    if words < 20 { notes.append("shorter than 20 words") }
    if words > 2_000 { notes.append("longer than 2,000 words") }
    return AgentContainer.Answer(output: ["approved": .bool(notes.isEmpty), "words": .integer(Int64(words)), "notes": .array(notes)],
                                 inputTokens: words, outputTokens: 8, costUSD: Double(words) * 0.000_001)
}

do {
    try await AgentContainer(container: "writer", agents: [author, editor], settings: try Settings.fromEnvironment(defaultPort: 9302)).run()
} catch {
    FileHandle.standardError.write(Data("agion-example-writer: \(error)\n".utf8))
    exit(1)
}
