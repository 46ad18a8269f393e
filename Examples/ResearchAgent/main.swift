import AgionJSON
import ExampleAgentKit
import Foundation

// agion-example-research: a container with one agent, research:analyst
// (capability `research`). Deterministic, so a demo and a test see the same
// facts for the same topic: it stands in for an LLM with retrieval.
let analyst = AgentContainer.Agent(name: "analyst", capabilities: ["research"],
                                   description: "Gathers facts about a topic (deterministic stand-in for an LLM researcher)") { input, _ in
    guard let topic = input["topic"]?.stringValue, !topic.isEmpty else { throw Refusal("give a topic: {\"topic\": \"...\"}") }
    let facts = Research.facts(about: topic)
    let words = facts.joined(separator: " ").split(separator: " ").count
    return AgentContainer.Answer(output: ["topic": .string(topic), "summary": .string("\(topic.capitalized): \(facts[0].lowercased())"),
                                          "facts": .array(facts.map { .string($0) }), "sources": .array(Research.sources(topic).map { .string($0) })],
                                 inputTokens: topic.split(separator: " ").count + 12, outputTokens: words, costUSD: Double(words) * 0.000_003)
}

enum Research {
    /// Three facts that depend only on the topic.
    static func facts(about topic: String) -> [String] {
        let seed = topic.utf8.reduce(UInt64(1_469_598_103_934_665_603)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let growth = 5 + seed % 40, sites = 100 + seed % 900, year = 2015 + seed % 10
        return ["Adoption of \(topic) grew \(growth)% over the last year",
                "\(sites) sites worldwide report using \(topic) in production",
                "The first large deployment of \(topic) dates from \(year)"]
    }

    static func sources(_ topic: String) -> [String] {
        let slug = topic.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return ["https://example.org/\(String(slug))/survey", "https://example.org/\(String(slug))/report"]
    }
}

do {
    try await AgentContainer(container: "research", agents: [analyst], settings: try Settings.fromEnvironment(defaultPort: 9301)).run()
} catch {
    FileHandle.standardError.write(Data("agion-example-research: \(error)\n".utf8))
    exit(1)
}
