import AgionEnvelope

/// What a decision is (`agion.v1.Decision.Effect`).
public enum Effect: String, Sendable, Hashable, CaseIterable {
    case allow
    case deny
    case requireApproval = "require_approval"

    public var protoValue: Int32 {
        switch self {
        case .allow: 1
        case .deny: 2
        case .requireApproval: 3
        }
    }

    public init(protoValue: Int64, field: String) throws(EnvelopeError) {
        switch protoValue {
        case 1: self = .allow
        case 2: self = .deny
        case 3: self = .requireApproval
        default: throw EnvelopeError(.invalidField, "unknown effect \(protoValue)", field: field)
        }
    }
}

/// Something the caller must do when acting on a decision, for example
/// `redact` with `fields`, or `max_tokens` with `value` (`agion.v1.Obligation`).
public struct Obligation: Sendable, Hashable {
    public var kind: String
    public var parameters: [String: String]

    public init(kind: String, parameters: [String: String] = [:]) {
        self.kind = kind
        self.parameters = parameters
    }

    public init(proto: ProtoMessage) {
        kind = proto.string("kind")
        parameters = [String: String](protoHeaders: proto.list("parameters"))
    }

    public var proto: ProtoMessage {
        ProtoMessage("agion.v1.Obligation", ["kind": .string(kind), "parameters": parameters.protoHeaders])
    }
}

/// The answer to `agion.rpc.governance.check` (and `explain`, with no id).
public struct Decision: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.Decision"

    /// Empty for an explanation, which is not recorded.
    public var decisionID: String
    public var effect: Effect
    public var ruleIDs: [String]
    public var reasons: [String]
    public var obligations: [Obligation]
    public var trustScore: Double
    public var policyRevision: UInt32
    /// A deny because governance could not decide (a store it needs was
    /// unavailable and the policy fails closed), not because of a rule: the
    /// same check may be allowed later, so callers may retry it.
    public var failClosed: Bool

    public init(decisionID: String, effect: Effect, ruleIDs: [String] = [], reasons: [String] = [], obligations: [Obligation] = [],
                trustScore: Double, policyRevision: UInt32, failClosed: Bool = false) {
        self.decisionID = decisionID
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.reasons = reasons
        self.obligations = obligations
        self.trustScore = trustScore
        self.policyRevision = policyRevision
        self.failClosed = failClosed
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        decisionID = proto.string("decision_id")
        effect = try Effect(protoValue: proto.int("effect"), field: "effect")
        ruleIDs = proto.list("rule_ids").compactMap(\.string)
        reasons = proto.list("reasons").compactMap(\.string)
        obligations = proto.list("obligations").compactMap(\.message).map(Obligation.init(proto:))
        trustScore = proto.double("trust_score")
        policyRevision = UInt32(clamping: proto.int("policy_revision"))
        failClosed = proto.bool("fail_closed")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "decision_id": .string(decisionID), "effect": .enumValue(effect.protoValue),
            "rule_ids": .list(ruleIDs.map { .string($0) }), "reasons": .list(reasons.map { .string($0) }),
            "obligations": .list(obligations.map { .message($0.proto) }), "trust_score": .double(trustScore),
            "policy_revision": .uint(UInt64(policyRevision)), "fail_closed": .bool(failClosed),
        ])
    }
}
