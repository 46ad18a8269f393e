import AgionEnvelope

/// How the control plane reaches an agent.
public enum AgentEndpoint: Hashable, Sendable {
    /// The agent container contract over HTTP: `POST {baseURL}/agents/{agent_id}/invoke`.
    case http(baseURL: String)
    /// An SDK agent serving requests on a NATS subject.
    case nats(subject: String)

    public init(proto: ProtoMessage, field: String) throws(EnvelopeError) {
        let address = proto.string("address")
        switch proto.int("kind") {
        case 1:
            guard address.hasPrefix("http://") || address.hasPrefix("https://"), address.utf8.count > 8, address.utf8.count <= 2_048 else {
                throw EnvelopeError(.invalidField, "an HTTP endpoint needs an http:// or https:// URL", field: field + ".address")
            }
            self = .http(baseURL: address)
        case 2:
            guard !address.isEmpty, address.utf8.count <= 256, !address.contains(" "), !address.contains("*"), !address.contains(">") else {
                throw EnvelopeError(.invalidField, "a NATS endpoint needs a subject without spaces or wildcards", field: field + ".address")
            }
            self = .nats(subject: address)
        default:
            throw EnvelopeError(.invalidField, "the endpoint kind must be KIND_HTTP or KIND_NATS", field: field + ".kind")
        }
    }

    public var proto: ProtoMessage {
        switch self {
        case .http(let url): ProtoMessage("agion.v1.AgentEndpoint", ["kind": .enumValue(1), "address": .string(url)])
        case .nats(let subject): ProtoMessage("agion.v1.AgentEndpoint", ["kind": .enumValue(2), "address": .string(subject)])
        }
    }
}

/// An agent's definition, as its container registers it (`agion.v1.Agent`).
/// The tenant is not part of it: it comes from the request's credential.
public struct Agent: Hashable, Sendable {
    public var id: AgentID
    /// Free-form kind, for example `llm`, `tool`, `router`.
    public var type: String
    public var description: String
    /// What it can do, for example `charts`; used by capability search.
    /// Kept deduplicated and sorted, however the value was made.
    public var capabilities: [String] {
        didSet { if capabilities != Self.canonical(capabilities) { capabilities = Self.canonical(capabilities) } }
    }
    public var version: String
    public var endpoint: AgentEndpoint
    public var metadata: [String: String]

    public init(id: AgentID, type: String = "", description: String = "", capabilities: [String] = [],
                version: String = "", endpoint: AgentEndpoint, metadata: [String: String] = [:]) {
        self.id = id
        self.type = type
        self.description = description
        self.capabilities = Self.canonical(capabilities)
        self.version = version
        self.endpoint = endpoint
        self.metadata = metadata
    }

    public var container: String { id.container }
    public var name: String { id.name }

    /// Limits that keep one registration from bloating every query.
    public enum Limits {
        public static let capabilities = 64
        public static let textLength = 4_096
        public static let metadataEntries = 64
    }

    /// Reads and validates an `agion.v1.Agent`; `field` prefixes error paths.
    public init(proto: ProtoMessage, field: String = "agent") throws(EnvelopeError) {
        id = try AgentID(proto.string("id"), field: field + ".id")
        let container = proto.string("container"), name = proto.string("name")
        if !container.isEmpty && container != id.container {
            throw EnvelopeError(.invalidField, "'\(container)' does not match the id's container '\(id.container)'", field: field + ".container")
        }
        if !name.isEmpty && name != id.name {
            throw EnvelopeError(.invalidField, "'\(name)' does not match the id's name '\(id.name)'", field: field + ".name")
        }
        type = try Self.text(proto.string("type"), field: field + ".type", limit: 64)
        description = try Self.text(proto.string("description"), field: field + ".description", limit: Limits.textLength)
        version = try Self.text(proto.string("version"), field: field + ".version", limit: 64)
        let capabilities = proto.list("capabilities").compactMap(\.string)
        guard capabilities.count <= Limits.capabilities else {
            throw EnvelopeError(.invalidField, "at most \(Limits.capabilities) capabilities", field: field + ".capabilities")
        }
        for (i, capability) in capabilities.enumerated() {
            guard !capability.isEmpty, capability.utf8.count <= 64, !capability.contains(" ") else {
                throw EnvelopeError(.invalidField, "a capability is 1 to 64 characters without spaces", field: "\(field).capabilities[\(i)]")
            }
        }
        self.capabilities = Self.canonical(capabilities)
        guard let endpoint = proto.message("endpoint") else {
            throw EnvelopeError(.invalidField, "an agent needs an endpoint", field: field + ".endpoint")
        }
        self.endpoint = try AgentEndpoint(proto: endpoint, field: field + ".endpoint")
        let entries = proto.list("metadata")
        guard entries.count <= Limits.metadataEntries else {
            throw EnvelopeError(.invalidField, "at most \(Limits.metadataEntries) metadata entries", field: field + ".metadata")
        }
        metadata = [String: String](protoHeaders: entries)
    }

    public var proto: ProtoMessage {
        ProtoMessage("agion.v1.Agent", [
            "id": .string(id.description), "name": .string(id.name), "container": .string(id.container),
            "type": .string(type), "description": .string(description), "version": .string(version),
            "capabilities": .list(capabilities.map { .string($0) }), "endpoint": .message(endpoint.proto),
            "metadata": metadata.protoHeaders,
        ])
    }

    private static func canonical(_ capabilities: [String]) -> [String] { Array(Set(capabilities)).sorted() }

    private static func text(_ value: String, field: String, limit: Int) throws(EnvelopeError) -> String {
        guard value.utf8.count <= limit else { throw EnvelopeError(.invalidField, "at most \(limit) bytes", field: field) }
        return value
    }
}
