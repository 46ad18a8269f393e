import AgionContract
import AgionJSON

/// The validation rules of the contract types (AgionContract), stated in the
/// OpenAPI document: the descriptors give a field's type, these give what the
/// services accept, so a client (or a fuzzer) that follows the schema is not
/// refused. Taken from the same constants the validators use. Where a rule
/// counts UTF-8 bytes, the schema asks for printable ASCII, which keeps it
/// exact for ASCII and on the safe side otherwise.
enum OpenAPIConstraints {
    /// Printable, no spaces (`CheckRequest.token`), at most `maxBytes`.
    static func token(maxBytes: Int, required: Bool = true) -> JSONValue {
        ["type": "string", "minLength": required ? 1 : 0, "maxLength": .integer(Int64(maxBytes)), "pattern": required ? "^[!-~]+$" : "^[!-~]*$",
         "description": .string("Printable ASCII without spaces, at most \(maxBytes) bytes")]
    }

    static let agentID: JSONValue = [
        "type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}:[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
        "description": "<container>:<name>, for example langgraph-v2:chart_generator",
    ]
    static let container: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", "description": "The container part of agent ids"]
    static let capability = token(maxBytes: 64)
    static let optionalCapability = token(maxBytes: 64, required: false)
    static let executionID = token(maxBytes: 128, required: false)
    static func range(_ minimum: Int64, _ maximum: Int64) -> JSONValue { ["type": "integer", "minimum": .integer(minimum), "maximum": .integer(maximum)] }

    /// Field rules by message and field, laid over the descriptor's schema of the field (`apply`).
    static let fields: [String: [String: JSONValue]] = [
        "agion.v1.CheckRequest": [
            "agent_id": agentID, "action": token(maxBytes: CheckRequest.Limits.actionLength),
            "principal": token(maxBytes: CheckRequest.Limits.principalLength, required: false),
            "delegation_chain": ["maxItems": .integer(Int64(CheckRequest.Limits.delegationChain)),
                                 "items": token(maxBytes: CheckRequest.Limits.principalLength)],
        ],
        "agion.v1.ValidateOutputRequest": [
            "agent_id": agentID, "action": token(maxBytes: CheckRequest.Limits.actionLength),
            "output": ["type": "string", "maxLength": .integer(Int64(ValidateOutputRequest.maxOutputBytes) / 4),
                       "description": .string("At most \(ValidateOutputRequest.maxOutputBytes) bytes")],
            "capability": optionalCapability, "execution_id": executionID,
        ],
        "agion.v1.FeedbackRequest": [
            "agent_id": agentID, "rating": range(1, 5), "source": token(maxBytes: 256), "capability": optionalCapability,
            "execution_id": executionID,
        ],
        "agion.v1.Heartbeat": ["agent_id": agentID, "ttl_seconds": range(0, Int64(Heartbeat.ttlRange.upperBound))],
        "agion.v1.RegisterAgentsRequest": [
            "container": container,
            "agents": ["minItems": 1, "maxItems": .integer(Int64(RegisterAgentsRequest.maxAgents))],
        ],
        "agion.v1.Agent": [
            "id": agentID, "container": container,
            "capabilities": ["maxItems": .integer(Int64(Agent.Limits.capabilities)), "items": capability],
            "type": ["type": "string", "maxLength": 64], "version": ["type": "string", "maxLength": 64],
            "description": ["type": "string", "maxLength": .integer(Int64(Agent.Limits.textLength) / 4)],
        ],
        "agion.v1.AgentEndpoint": [
            "kind": ["type": "string", "enum": ["http", "nats"]],
            "address": ["type": "string", "maxLength": 256, "pattern": "^(https?://[!-~]{2,}|[A-Za-z0-9_.$-]+)$",
                        "description": "kind http: an http:// or https:// URL; kind nats: a subject without spaces or wildcards"],
        ],
        "agion.v1.ListAgentsRequest": ["page_size": range(0, Int64(ListAgentsRequest.maxPageSize)), "container": container],
        "agion.v1.SearchAgentsRequest": ["capability": capability, "limit": range(0, Int64(SearchAgentsRequest.maxLimit))],
        "agion.v1.GetAgentRequest": ["agent_id": agentID],
        "agion.v1.DeregisterAgentRequest": ["agent_id": agentID],
        "agion.v1.AgentVersionsRequest": ["agent_id": agentID],
        "agion.v1.TrustHistoryRequest": [
            "agent_id": agentID, "capability": optionalCapability, "page_size": range(0, Int64(TrustHistoryRequest.maxPageSize)),
        ],
        "agion.v1.AuditQuery": [
            "kind": ["type": "string", "enum": ["check", "validate"]],
            "result": ["type": "string", "enum": ["allow", "deny", "require_approval", "passed", "failed"]],
            "page_size": range(0, Int64(AuditQuery.maxPageSize)),
        ],
        "agion.v1.ActivatePolicyRequest": ["revision": range(1, Int64(UInt32.max))],
        "agion.v1.GetPolicyRequest": ["revision": range(0, Int64(UInt32.max))],
    ]

    /// `schema` (the descriptor's, for `field` of `message`) with the rules for it laid over.
    static func apply(_ schema: JSONValue, message: String, field: String) -> JSONValue {
        guard let rule = fields[message]?[field], case .object(var merged) = schema, case .object(let overlay) = rule else { return schema }
        // A rule that states a whole type replaces a `oneOf` of the descriptor's (64-bit integers).
        if overlay["type"] != nil { merged["oneOf"] = nil; merged["description"] = nil }
        for (key, value) in overlay { merged[key] = value }
        return .object(merged)
    }

    /// Fields a message cannot do without.
    static let required: [String: [String]] = [
        "agion.v1.CheckRequest": ["agent_id", "action"],
        "agion.v1.ValidateOutputRequest": ["agent_id", "action"],
        "agion.v1.FeedbackRequest": ["agent_id", "rating", "source"],
        "agion.v1.ExplainRequest": ["request"],
        "agion.v1.Heartbeat": ["agent_id"],
        "agion.v1.RegisterAgentsRequest": ["container", "agents"],
        "agion.v1.Agent": ["id", "endpoint"],
        "agion.v1.AgentEndpoint": ["kind", "address"],
        "agion.v1.SearchAgentsRequest": ["capability"],
    ]
}
