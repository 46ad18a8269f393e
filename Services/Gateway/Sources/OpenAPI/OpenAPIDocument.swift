import AgionEnvelope
import AgionJSON
import Hummingbird

/// The OpenAPI 3.1 document served at `/openapi.json`, built from the route
/// table and the protobuf descriptors (the same values the router and the
/// JSON mapping use), so it describes exactly what is served.
enum OpenAPIDocument {
    static let version = "1.0.0"

    static func make(routes: [Route] = RouteTable.all) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = LocalSchemas.all
        for (path, group) in Dictionary(grouping: routes, by: \.path) {
            var item: [String: JSONValue] = [:]
            for route in group { item[route.method.rawValue.lowercased()] = operation(route, schemas: &schemas) }
            paths[path] = .object(item)
        }
        paths["/health"] = system("health", "The process is alive", "Health")
        paths["/ready"] = system("ready", "NATS, PostgreSQL and Redis answer (503 when a required one does not)", "Readiness")
        paths["/metrics"] = ["get": ["operationId": "metrics", "summary": "Prometheus metrics", "tags": ["system"], "security": [],
                                     "responses": ["200": ["description": "Prometheus text format",
                                                           "content": ["text/plain": ["schema": ["type": "string"]]]]]]]
        paths["/openapi.json"] = ["get": ["operationId": "openapi", "summary": "This document", "tags": ["system"], "security": [],
                                          "responses": ["200": ["description": "OpenAPI 3.1", "content": ["application/json": ["schema": ["type": "object"]]]]]]]
        schemas["Problem"] = problemSchema
        schemas["Health"] = ["type": "object", "properties": ["status": ["type": "string"]]]
        schemas["Readiness"] = ["type": "object", "properties": ["status": ["type": "string", "enum": ["ready", "degraded", "not_ready"]],
                                                                   "checks": ["type": "object", "additionalProperties": true]]]
        return [
            "openapi": "3.1.0",
            "info": ["title": "Agion API", "version": .string(version),
                     "description": "The control plane for AI agents: registry, governance, trust and audit. Errors are RFC 9457 problem details."],
            "paths": .object(paths),
            "security": [["apiKey": []], ["bearer": []]],
            "components": ["schemas": .object(schemas), "securitySchemes": [
                "bearer": ["type": "http", "scheme": "bearer", "description": "An API key (agion_…) or, when configured, a JWT (HS256, RS256, ES256)"],
                "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
            ]],
        ]
    }

    private static func system(_ id: String, _ summary: String, _ schema: String) -> JSONValue {
        ["get": ["operationId": .string(id), "summary": .string(summary), "tags": ["system"], "security": [],
                 "responses": ["200": ["description": "OK", "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schema)")]]]],
                               "503": ["description": "Not ready", "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schema)")]]]]]]]
    }

    private static func operation(_ route: Route, schemas: inout [String: JSONValue]) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(route.operationID), "summary": .string(route.summary), "tags": [.string(route.tag)],
            "description": .string("Requires permission `\(route.permission.rawValue)` (roles: \(roles(for: route.permission))).")
        ]
        var parameters: [JSONValue] = []
        var responses: [String: JSONValue] = errorResponses(route)
        switch route.action {
        case .call(let call):
            let fields = ProtoJSON.schema(call.request)
            for name in route.pathParameters {
                // The path fills the field of that name (or names one item of a repeated one, `agent_ids`).
                var schema: JSONValue = name == "agent_id" ? OpenAPIConstraints.agentID : ["type": "string"]
                if let field = fields.first(where: { $0.name == name }) {
                    schema = OpenAPIConstraints.apply(fieldSchema(field, schemas: &schemas), message: call.request, field: name)
                }
                parameters.append(["name": .string(name), "in": "path", "required": true, "schema": schema])
            }
            for name in call.query {
                guard let field = fields.first(where: { $0.name == name }) else { continue }
                let schema = OpenAPIConstraints.apply(fieldSchema(field, schemas: &schemas), message: call.request, field: name)
                parameters.append(["name": .string(name), "in": "query", "required": .bool(OpenAPIConstraints.required[call.request]?.contains(name) == true),
                                   "schema": schema])
            }
            for (header, field) in call.headers.sorted(by: { $0.key < $1.key }) {
                parameters.append(["name": .string(header), "in": "header", "required": false, "schema": ["type": "string", "maxLength": 256],
                                   "description": .string("Fills \(field)")])
            }
            switch call.body {
            case .none: break
            case .json, .optionalJSON:
                let excluded = Set(route.pathParameters + call.query + call.headers.values + call.fixed.keys)
                operation["requestBody"] = ["required": .bool(call.body == .json), "content": ["application/json": [
                    "schema": messageSchema(call.request, excluding: excluded, schemas: &schemas)]]]
            case .jsonField(let name):
                guard let field = fields.first(where: { $0.name == name }), case .message(let message) = field.kind else { break }
                operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": reference(message, schemas: &schemas)]]]
            case .document:
                operation["requestBody"] = ["required": true, "description": "The policy document (docs/governance.md)", "content": [
                    "application/yaml": ["schema": ["type": "string"]], "application/json": ["schema": ["type": "object"]]]]
            }
            responses[String(call.status.code)] = ["description": "OK", "content": ["application/json": ["schema": reference(call.response, schemas: &schemas)]]]
        case .missionStream:
            parameters = route.pathParameters.map { ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]] }
            parameters.append(["name": "Last-Event-ID", "in": "header", "required": false, "schema": ["type": "string", "pattern": "^[0-9]+$"],
                               "description": "The position of the last event received: the stream goes on after it"])
            _ = reference("agion.v1.MissionEvent", schemas: &schemas)
            responses["200"] = ["description": "Server-sent events: id is the event's position, event its name, data the MissionEvent as JSON",
                                "content": ["text/event-stream": ["schema": ["type": "string"]]]]
        case .stepOutput:
            parameters = route.pathParameters.map { ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string"]] }
            responses["200"] = ["description": "The output's JSON; Agion-Output-Digest names a stored one's sha256",
                                "content": ["application/json": ["schema": ["type": "object"]]]]
            responses["410"] = ["description": "The stored output was deleted by the tenant's retention (its digest stays in the history)"]
        case .local(let local):
            parameters = route.pathParameters.map { ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string"]] }
            let (body, reply, status) = LocalSchemas.operation(local)
            if let body { operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(body)")]]]] }
            responses[String(status)] = ["description": "OK", "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(reply)")]]]]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    static func roles(for permission: Permission) -> String {
        if permission == .manageTenants { return "platform admin" }
        return Credential.Role.allCases.filter { Credential.grants[$0]!.contains(permission) }.map(\.rawValue).joined(separator: ", ")
    }

    private static func errorResponses(_ route: Route) -> [String: JSONValue] {
        var statuses: [(Int, String)] = [(400, "Invalid request (the field is named)"), (401, "No valid credential"),
                                         (403, "The role or the agent scope does not allow this"), (404, "Not found"),
                                         (413, "Body too large"), (415, "Unsupported content type"), (429, "Rate limited"),
                                         (500, "Internal error"), (503, "The service is unavailable"), (504, "The service did not answer in time")]
        if case .local = route.action { statuses.append((409, "Conflict")) }
        if route.tag == "missions" { statuses.append((409, "The mission's state does not allow this (failed-precondition)")) }
        if let conflict = route.conflict { statuses.append((409, conflict + " (failed-precondition)")) }
        var responses: [String: JSONValue] = [:]
        for (status, description) in statuses {
            responses[String(status)] = ["description": .string(description),
                                         "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
        }
        return responses
    }

    // MARK: Schemas from descriptors

    static func schemaName(_ protoName: String) -> String { String(protoName.split(separator: ".").last!) }

    private static func reference(_ protoName: String, schemas: inout [String: JSONValue]) -> JSONValue {
        let name = schemaName(protoName)
        if schemas[name] == nil {
            schemas[name] = [:]  // placeholder: messages may refer to themselves
            schemas[name] = messageSchema(protoName, excluding: [], schemas: &schemas)
        }
        return ["$ref": .string("#/components/schemas/\(name)")]
    }

    private static func messageSchema(_ protoName: String, excluding: Set<String>, schemas: inout [String: JSONValue]) -> JSONValue {
        switch protoName {
        case ProtoJSON.structName: return ["type": "object", "additionalProperties": true, "description": "Any JSON object"]
        case ProtoJSON.valueName: return ["description": "Any JSON value"]
        case ProtoJSON.listName: return ["type": "array", "items": [:]]
        default: break
        }
        var properties: [String: JSONValue] = [:]
        for field in ProtoJSON.schema(protoName) where !excluding.contains(field.name) {
            properties[field.name] = OpenAPIConstraints.apply(fieldSchema(field, schemas: &schemas), message: protoName, field: field.name)
        }
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        let required = (OpenAPIConstraints.required[protoName] ?? []).filter { !excluding.contains($0) }
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    private static func fieldSchema(_ field: ProtoFieldSchema, schemas: inout [String: JSONValue]) -> JSONValue {
        if field.repeated, case .message(ProtoJSON.headerName) = field.kind {
            return ["type": "object", "additionalProperties": ["type": "string"]]
        }
        let element = kindSchema(field.kind, schemas: &schemas)
        return field.repeated ? ["type": "array", "items": element] : element
    }

    private static func kindSchema(_ kind: ProtoFieldSchema.Kind, schemas: inout [String: JSONValue]) -> JSONValue {
        switch kind {
        case .int32: ["type": "integer", "format": "int32"]
        case .uint32: ["type": "integer", "format": "int32", "minimum": 0, "maximum": 4_294_967_295]
        case .int64, .uint64:
            ["description": "A 64-bit integer: written as a decimal string, read from a string or a number",
             "oneOf": [["type": "string", "pattern": "^-?[0-9]+$"], ["type": "integer"]]]
        case .float, .double: ["type": "number"]
        case .bool: ["type": "boolean"]
        case .string: ["type": "string"]
        case .bytes: ["type": "string", "contentEncoding": "base64"]
        case .enumeration(let schema): ["type": "string", "enum": .array(ProtoJSON.enumNames(schema).map { .string($0) })]
        case .message(let name): reference(name, schemas: &schemas)
        }
    }

    static let problemSchema: JSONValue = [
        "type": "object", "required": ["type", "title", "status", "detail", "request_id"],
        "properties": [
            "type": ["type": "string", "enum": .array(Problem.Kind.all.map { .string($0.typeURI) })],
            "title": ["type": "string"], "status": ["type": "integer"], "detail": ["type": "string"],
            "request_id": ["type": "string"], "field": ["type": "string", "description": "The offending field's path, when one is to blame"],
        ],
    ]
}

/// The JSON of the gateway's own routes (tenants, API keys).
enum LocalSchemas {
    static func operation(_ operation: LocalOperation) -> (body: String?, reply: String, status: Int) {
        switch operation {
        case .createTenant: ("TenantCreate", "TenantCreated", 201)
        case .listTenants: (nil, "TenantList", 200)
        case .createKey: ("APIKeyCreate", "APIKey", 201)
        case .listKeys: (nil, "APIKeyList", 200)
        case .revokeKey: (nil, "APIKey", 200)
        case .createNATSCredential: ("NATSCredentialCreate", "NATSCredential", 201)
        case .listNATSCredentials: (nil, "NATSCredentialList", 200)
        case .revokeNATSCredential: (nil, "NATSCredential", 200)
        }
    }

    static let all: [String: JSONValue] = [
        "TenantCreate": ["type": "object", "required": ["tenant"], "additionalProperties": false, "properties": [
            "tenant": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "1-64 letters, digits, - and _"],
            "display_name": ["type": "string"]]],
        "Tenant": ["type": "object", "properties": ["tenant": ["type": "string"], "display_name": ["type": "string"],
                                                    "created_at": ["type": "string", "format": "date-time"]]],
        "TenantCreated": ["type": "object", "properties": ["tenant": ["type": "string"], "display_name": ["type": "string"],
                                                           "admin_key": ["$ref": "#/components/schemas/APIKey"]]],
        "TenantList": ["type": "object", "properties": ["tenants": ["type": "array", "items": ["$ref": "#/components/schemas/Tenant"]]]],
        "APIKeyCreate": ["type": "object", "required": ["name", "role"], "additionalProperties": false, "properties": [
            "name": ["type": "string", "minLength": 1, "maxLength": 128],
            "role": ["type": "string", "enum": .array(Credential.Role.allCases.map { .string($0.rawValue) })],
            "agent_scope": ["type": "string", "description": "agent keys only: container:name or container:*"]]],
        "APIKey": ["type": "object", "properties": [
            "key_id": ["type": "string"], "tenant": ["type": "string"], "name": ["type": "string"],
            "role": ["type": "string", "enum": .array(Credential.Role.allCases.map { .string($0.rawValue) })],
            "agent_scope": ["type": "string"], "created_by": ["type": "string"], "created_at": ["type": "string", "format": "date-time"],
            "revoked_at": ["type": "string", "format": "date-time"],
            "key": ["type": "string", "description": "The key itself: only in the response that created it"]]],
        "APIKeyList": ["type": "object", "properties": ["keys": ["type": "array", "items": ["$ref": "#/components/schemas/APIKey"]]]],
        "NATSCredentialCreate": ["type": "object", "required": ["name", "agents"], "additionalProperties": false, "properties": [
            "name": ["type": "string", "minLength": 1, "maxLength": 128],
            "agents": ["type": "array", "minItems": 1, "maxItems": 100, "items": ["type": "string", "description": "container:name"],
                       "description": "The agents the container serves: it may act only as these"],
            "expires_in_seconds": ["type": "integer", "minimum": 60, "description": "none: valid until revoked"]]],
        "NATSCredential": ["type": "object", "properties": [
            "credential_id": ["type": "string"], "tenant": ["type": "string"], "name": ["type": "string"],
            "agents": ["type": "array", "items": ["type": "string"]], "user_public_key": ["type": "string"],
            "created_by": ["type": "string"], "created_at": ["type": "string", "format": "date-time"],
            "expires_at": ["type": "string", "format": "date-time"], "revoked_at": ["type": "string", "format": "date-time"],
            "inbox_prefix": ["type": "string", "description": "The inbox prefix the credentials allow replies on"],
            "creds": ["type": "string", "description": "The .creds file (JWT and seed): only in the response that created it"]]],
        "NATSCredentialList": ["type": "object", "properties": [
            "credentials": ["type": "array", "items": ["$ref": "#/components/schemas/NATSCredential"]]]],
    ]
}
