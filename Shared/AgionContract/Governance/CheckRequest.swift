import AgionEnvelope

/// `agion.rpc.governance.check`: may `agentID` perform `action` with
/// `context`, on behalf of `principal`?
public struct CheckRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.CheckRequest"
    public enum Limits {
        public static let actionLength = 256
        public static let principalLength = 256
        public static let delegationChain = 32
    }

    public var agentID: AgentID
    public var action: String
    public var context: ContextValue
    public var principal: String?
    /// The principals that delegated to `principal`, outermost first.
    public var delegationChain: [String]

    public init(agentID: AgentID, action: String, context: ContextValue = .object([:]), principal: String? = nil, delegationChain: [String] = []) {
        self.agentID = agentID
        self.action = action
        self.context = context
        self.principal = principal
        self.delegationChain = delegationChain
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        try self.init(proto: proto, field: "")
    }

    /// `field` prefixes error paths when the request is nested (explain).
    public init(proto: ProtoMessage, field: String) throws(EnvelopeError) {
        try self.init(validating: proto.string("agent_id"), action: proto.string("action"), principal: proto.string("principal"),
                      delegationChain: proto.list("delegation_chain").compactMap(\.string), field: field) { (prefix) throws(EnvelopeError) in
            try proto.message("context").map { (m) throws(EnvelopeError) in try ContextValue(structProto: m, field: prefix + "context") } ?? .object([:])
        }
    }

    /// The rules of a check request, whichever decoder read the fields
    /// (`init(proto:)` or the hand-written `init(decoding:)`). `context` reads
    /// the context last, given the error path prefix.
    init(validating agentID: String, action: String, principal: String, delegationChain chain: [String], field: String,
         context: (String) throws(EnvelopeError) -> ContextValue) throws(EnvelopeError) {
        let prefix = field.isEmpty ? "" : field + "."
        self.agentID = try AgentID(agentID, field: prefix + "agent_id")
        self.action = try Self.token(action, field: prefix + "action", limit: Limits.actionLength, required: true)
        let principal = try Self.token(principal, field: prefix + "principal", limit: Limits.principalLength, required: false)
        self.principal = principal.isEmpty ? nil : principal
        guard chain.count <= Limits.delegationChain else {
            throw EnvelopeError(.invalidField, "at most \(Limits.delegationChain) delegating principals", field: prefix + "delegation_chain")
        }
        var delegationChain: [String] = []
        for (i, entry) in chain.enumerated() {
            delegationChain.append(try Self.token(entry, field: "\(prefix)delegation_chain[\(i)]", limit: Limits.principalLength, required: true))
        }
        guard delegationChain.isEmpty || self.principal != nil else {
            throw EnvelopeError(.invalidField, "a delegation chain needs the principal it delegates to", field: prefix + "principal")
        }
        self.delegationChain = delegationChain
        self.context = try context(prefix)
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "action": .string(action), "context": .message(context.structProto),
            "principal": .string(principal ?? ""), "delegation_chain": .list(delegationChain.map { .string($0) }),
        ])
    }

    /// The optional `capability` field of governance requests.
    static func optionalCapability(_ proto: ProtoMessage) throws(EnvelopeError) -> String? {
        let capability = try token(proto.string("capability"), field: "capability", limit: 64, required: false)
        return capability.isEmpty ? nil : capability
    }

    /// The optional `execution_id` field of governance requests.
    static func executionID(_ proto: ProtoMessage) throws(EnvelopeError) -> String {
        try token(proto.string("execution_id"), field: "execution_id", limit: 128, required: false)
    }

    /// Printable, no spaces, bounded: actions and principals end up in logs,
    /// audit queries and Redis keys.
    static func token(_ text: String, field: String, limit: Int, required: Bool) throws(EnvelopeError) -> String {
        if text.isEmpty {
            if required { throw EnvelopeError(.invalidField, "required", field: field) }
            return text
        }
        guard text.utf8.count <= limit else { throw EnvelopeError(.invalidField, "at most \(limit) bytes", field: field) }
        guard text.utf8.allSatisfy({ $0 > 32 && $0 != 127 }) else {
            throw EnvelopeError(.invalidField, "no spaces or control characters", field: field)
        }
        return text
    }
}

/// `agion.rpc.governance.explain`: evaluate without recording, optionally
/// against a draft policy document.
public struct ExplainRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ExplainRequest"
    public var request: CheckRequest
    /// Empty for the active policy.
    public var policyDocument: String

    public init(request: CheckRequest, policyDocument: String = "") {
        self.request = request
        self.policyDocument = policyDocument
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        guard let request = proto.message("request") else { throw EnvelopeError(.invalidField, "the check to explain is missing", field: "request") }
        self.request = try CheckRequest(proto: request, field: "request")
        policyDocument = proto.string("policy_document")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["request": .message(request.proto), "policy_document": .string(policyDocument)])
    }
}
