import AgionBus
import AgionEnvelope
import AgionJSON
import Foundation
import HTTPTypes
import Hummingbird

/// Answers a route that maps onto a service's NATS method: assembles the
/// request message from body, path and query (`ServiceCall`), checks the
/// credential's scope, sends it with the credential's tenant, and writes the
/// reply (or the service's error) as JSON.
struct ServiceCallHandler: Sendable {
    let bus: Bus
    let timeout: Duration
    let maxBodyBytes: Int
    /// One per batched method (`ServiceCall.batched`), by subject.
    let batchers: [String: RequestBatcher]

    init(bus: Bus, timeout: Duration, maxBodyBytes: Int, batchLimits: RequestBatcher.Limits = .init()) {
        self.bus = bus
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        var batchers: [String: RequestBatcher] = [:]
        for route in RouteTable.all {
            guard case .call(let call) = route.action, call.batched, batchers[call.subject] == nil else { continue }
            batchers[call.subject] = bus.batcher(for: call.subject, limits: batchLimits)
        }
        self.batchers = batchers
    }

    func handle(_ route: Route, _ call: ServiceCall, credential: Credential, request: Request, context: GatewayContext) async throws -> Response {
        let fields = try await bodyFields(call.body, request: request)
        let payload: [UInt8]
        if call.fastPath == .check, !route.hasPathParameters, request.uri.query == nil, let fast = CheckFastPath.request(fields) {
            try Self.checkScope(call.scope, credential: credential) { _ in fast.agentID }
            payload = fast.payload
        } else {
            payload = try genericPayload(route, call, fields: fields, credential: credential, request: request, context: context)
        }

        var envelope = Envelope(type: call.request, tenant: credential.tenant, payload: payload)
        envelope.correlationID = context.requestID
        envelope.traceparent = context.traceparent.description
        envelope.headers["agion-subject"] = credential.subject
        // Who is calling, for decisions that depend on it (approvals).
        envelope.headers["agion-role"] = credential.role.rawValue
        if !credential.groups.isEmpty { envelope.headers["agion-groups"] = credential.groups.joined(separator: ",") }
        let reply: Envelope
        do {
            if let batcher = batchers[call.subject] {
                reply = try await batcher.request(envelope, timeout: timeout)
            } else {
                reply = try await bus.request(call.subject, envelope, timeout: timeout)
            }
        } catch let error as BusError {
            throw Problem(error, service: call.service)
        }
        if call.fastPath == .check, let json = CheckFastPath.decisionJSON(reply.payload) {
            return JSONResponse.make(call.status, serialized: json)
        }
        guard let decoded = try? ProtoSchema.decode(call.response, from: reply.payload) else {
            context.logger.error("gateway.unreadable_reply", metadata: ["subject": "\(call.subject)", "type": "\(reply.type)"])
            throw Problem(.internalError, "\(call.service) answered something the gateway cannot read; quote the request id")
        }
        return JSONResponse.make(call.status, ProtoJSON.json(decoded))
    }

    /// The request message from body, path and query through the protobuf
    /// descriptors (every route; the check tries `CheckFastPath` first).
    private func genericPayload(_ route: Route, _ call: ServiceCall, fields body: [String: JSONValue], credential: Credential,
                                request: Request, context: GatewayContext) throws -> [UInt8] {
        var fields = body
        let schema = ProtoJSON.schema(call.request)
        for name in route.pathParameters {
            guard let value = try context.pathParameter(name) else { continue }
            if fields[name] != nil { throw Problem(.invalidRequest, "\(name) comes from the path, not the body", field: name) }
            // A path names one item of a repeated field (`agent_ids`) too.
            if schema.contains(where: { $0.name == name }) { fields[name] = .string(value) }
            else { fields[name + "s"] = .array([.string(value)]) }
        }
        for (name, value) in call.fixed {
            if fields[name] != nil { throw Problem(.invalidRequest, "\(name) is set by the route, not the body", field: name) }
            fields[name] = value
        }
        for (header, field) in call.headers {
            guard let name = HTTPField.Name(header), let value = request.headers[name] else { continue }
            if fields[field] != nil { throw Problem(.invalidRequest, "\(field) is given twice (header \(header) and body)", field: field) }
            fields[field] = .string(value)
        }
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard call.query.contains(name), let field = schema.first(where: { $0.name == name }) else {
                let known = call.query.isEmpty ? "none" : call.query.joined(separator: ", ")
                throw Problem(.invalidRequest, "unknown query parameter (this route takes: \(known))", field: name)
            }
            if fields[name] != nil { throw Problem(.invalidRequest, "\(name) is given twice (query and body)", field: name) }
            fields[name] = Self.queryValue(String(value), kind: field.kind)
        }
        let message: ProtoMessage
        do {
            message = try ProtoJSON.message(call.request, from: .object(fields), refusing: ["tenant"])
        } catch {
            // The client sent the field's message as the body: name fields as it sees them.
            var field = error.field
            if case .jsonField(let name) = call.body, field.hasPrefix(name + ".") { field = String(field.dropFirst(name.count + 1)) }
            throw Problem(.invalidRequest, error.message, field: field)
        }
        try Self.checkScope(call.scope, credential: credential, agentIDs: { message.list("agents").map { $0.message?.string("id") ?? "" } }) {
            message.string($0)
        }
        do { return try ProtoSchema.encode(message) } catch { throw Problem(.invalidRequest, error.message, field: error.field.isEmpty ? nil : error.field) }
    }

    private func bodyFields(_ body: ServiceCall.Body, request: Request) async throws -> [String: JSONValue] {
        switch body {
        case .none:
            return [:]
        case .json, .optionalJSON, .jsonField:
            let bytes = try await collect(request)
            if bytes.isEmpty, body == .optionalJSON { return [:] }
            guard !bytes.isEmpty else { throw Problem(.invalidRequest, "this route needs a JSON body") }
            if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
                throw Problem(.unsupportedMediaType, "send the body as application/json")
            }
            let json: JSONValue
            do { json = try JSONValue.parse(bytes) } catch { throw Problem(.invalidJSON, error.description) }
            guard case .object(let object) = json else { throw Problem(.invalidRequest, "the body must be a JSON object, not \(json.typeName)") }
            if case .jsonField(let field) = body { return [field: json] }
            return object
        case .document(let field):
            let bytes = try await collect(request)
            guard !bytes.isEmpty else { throw Problem(.invalidRequest, "this route needs the document as its body", field: field) }
            let type = request.headers[.contentType]?.lowercased() ?? "application/yaml"
            guard ["application/yaml", "application/x-yaml", "text/yaml", "application/json", "text/plain"].contains(where: type.hasPrefix) else {
                throw Problem(.unsupportedMediaType, "send the document as application/yaml or application/json")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem(.invalidRequest, "the document is not UTF-8", field: field) }
            return [field: .string(text)]
        }
    }

    private func collect(_ request: Request) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw Problem(.payloadTooLarge, "bodies are at most \(maxBodyBytes) bytes")
        }
        return Array(buffer.readableBytesView)
    }

    /// Query text as JSON of the field's type (ProtoJSON reads integers from strings).
    static func queryValue(_ text: String, kind: ProtoFieldSchema.Kind) -> JSONValue {
        switch kind {
        case .bool: text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text)
        case .double, .float: Double(text).map { .number($0) } ?? .string(text)
        default: .string(text)
        }
    }

    /// An `agent` credential acts for its own agents only. `field` reads a
    /// string field of the request; `agentIDs` the ids of a registration's agents.
    static func checkScope(_ scope: ServiceCall.AgentScope?, credential: Credential, agentIDs: () -> [String] = { [] },
                           field: (String) -> String) throws {
        guard credential.role == .agent else { return }
        switch scope {
        case .agentField(let name):
            let agentID = field(name)
            // Missing is the client's mistake, not a breach of its scope.
            guard !agentID.isEmpty else { throw Problem(.invalidRequest, "required", field: name) }
            guard credential.mayActFor(agentID: agentID) else {
                throw Problem(.forbidden, "this key acts for \(credential.agentScope ?? "no agent"), not \(agentID)", field: name)
            }
        case .registration:
            let container = field("container")
            guard !container.isEmpty else { throw Problem(.invalidRequest, "required", field: "container") }
            guard credential.mayRegister(container: container) else {
                throw Problem(.forbidden, "this key registers agents of \(credential.agentScope ?? "no container"), not container \(container)",
                              field: "container")
            }
            if let (index, id) = credential.firstAgentOutsideScope(agentIDs()) {
                throw Problem(.forbidden, "this key registers \(credential.agentScope ?? "no agent") only, not \(id)", field: "agents[\(index)].id")
            }
        case nil:
            throw Problem(.forbidden, "agent keys may not use this route")
        }
    }
}

enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ json: JSONValue, headers: HTTPFields = [:]) -> Response {
        make(status, serialized: json.serialized, headers: headers)
    }

    static func make(_ status: HTTPResponse.Status, serialized json: [UInt8], headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}
