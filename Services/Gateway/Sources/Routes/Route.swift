import AgionContract
import AgionJSON
import Hummingbird

/// One route of the public API, as data: the router serves it and the OpenAPI
/// document describes it from the same value, so the two cannot disagree.
struct Route: Sendable {
    let method: HTTPRequest.Method
    /// OpenAPI style: `/v1/agents/{agent_id}`.
    let path: String
    let operationID: String
    let summary: String
    let tag: String
    let permission: Permission
    let action: Action
    /// When the service can refuse with failed-precondition (409), what it
    /// means here: documented in the OpenAPI responses.
    var conflict: String? = nil

    enum Action: Sendable {
        /// Translated to a NATS request to a service.
        case call(ServiceCall)
        /// Answered by the gateway itself (tenants, API keys).
        case local(LocalOperation)
        /// A server-sent event stream the gateway keeps open (`MissionStream`).
        case missionStream
        /// A step's output, streamed from the output store when stored (`StepOutputDownload`).
        case stepOutput
    }

    /// Whether the path has `{parameters}` (asked on every check: no allocation).
    var hasPathParameters: Bool { path.utf8.contains(UInt8(ascii: "{")) }

    /// The path's `{parameters}`, in order.
    var pathParameters: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// Hummingbird's spelling of the path (`:agent_id`).
    var routerPath: String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : String($0) }.joined(separator: "/")
    }
}

/// How an HTTP request becomes a service request: the request message is the
/// JSON body (or the raw body in one field), plus path parameters and query
/// parameters, each naming a field of the message.
struct ServiceCall: Sendable {
    enum Body: Sendable, Equatable {
        case none
        /// The JSON body is the request message.
        case json
        /// The JSON body, if any, is the request message.
        case optionalJSON
        /// The JSON body is this message field (a mission's definition).
        case jsonField(String)
        /// The raw body (YAML or JSON text) goes into this string field.
        case document(field: String)
    }

    /// Where an `agent` credential's scope is checked.
    enum AgentScope: Sendable, Equatable {
        /// The request's `agent_id` field.
        case agentField(String)
        /// A registration: its container and every agent's id.
        case registration
    }

    let service: String
    let subject: String
    let request: String
    let response: String
    var body: Body = .none
    var query: [String] = []
    /// HTTP headers that fill string fields (`Idempotency-Key` → `idempotency_key`).
    var headers: [String: String] = [:]
    var status: HTTPResponse.Status = .ok
    var scope: AgentScope?
    /// Concurrent calls share NATS messages (`RequestBatcher`): for high-rate
    /// methods whose service serves `<subject>.batch`.
    var batched = false
    /// A hand-written mapping tried before the generic one (`CheckFastPath`).
    var fastPath: FastPath?
    /// Fields the route sets itself (`approve` of `/approve` and `/reject`).
    var fixed: [String: JSONValue] = [:]

    enum FastPath: Sendable, Equatable {
        case check
    }
}

/// The gateway's own operations, answered from its schema.
enum LocalOperation: String, Sendable {
    case createTenant, listTenants, createKey, listKeys, revokeKey
    case createNATSCredential, listNATSCredentials, revokeNATSCredential
}
