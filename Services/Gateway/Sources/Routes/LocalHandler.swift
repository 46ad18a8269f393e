import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionStore
import Foundation
import Hummingbird

/// The gateway's own routes: tenants and API keys, in its schema.
struct LocalHandler: Sendable {
    let keys: KeyStore
    let authenticator: Authenticator
    let bus: Bus
    let maxBodyBytes: Int

    func handle(_ operation: LocalOperation, credential: Credential, request: Request, context: GatewayContext) async throws -> Response {
        switch operation {
        case .createTenant:
            var body = try await object(request, allowed: ["tenant", "display_name"])
            let tenantText = try body.string("tenant", required: true)!
            let tenant: TenantID
            do { tenant = try TenantID(tenantText) } catch { throw Problem(.invalidRequest, error.message, field: "tenant") }
            let displayName = try body.string("display_name") ?? tenant.value
            let created = try await keys.pool.withTransaction { connection -> (APIKey, KeyStore.KeyRecord)? in
                guard try await keys.createTenant(tenant.value, displayName: displayName, on: connection) else { return nil }
                return try await keys.createKey(tenant: tenant.value, name: "admin", role: .admin, agentScope: nil,
                                                createdBy: credential.subject, on: connection)
            }
            guard let (key, record) = created else { throw Problem(.conflict, "tenant \(tenant.value) exists", field: "tenant") }
            return JSONResponse.make(.created, ["tenant": .string(tenant.value), "display_name": .string(displayName),
                                                "admin_key": Self.json(record, key: key)])
        case .listTenants:
            let tenants = try await keys.tenants()
            return JSONResponse.make(.ok, ["tenants": .array(tenants.map {
                ["tenant": .string($0.tenant), "display_name": .string($0.displayName), "created_at": .string(Self.timestamp($0.createdAt))]
            })])
        case .createKey:
            var body = try await object(request, allowed: ["name", "role", "agent_scope"])
            let name = try body.string("name", required: true)!
            guard (1...128).contains(name.utf8.count) else { throw Problem(.invalidRequest, "1 to 128 bytes", field: "name") }
            let roleText = try body.string("role", required: true)!
            guard let role = Credential.Role(rawValue: roleText) else {
                throw Problem(.invalidRequest, "one of \(Credential.Role.allCases.map(\.rawValue).joined(separator: ", "))", field: "role")
            }
            let scope = try body.string("agent_scope")
            try Self.validateScope(scope, role: role)
            let (key, record) = try await keys.pool.withConnection { connection in
                try await keys.createKey(tenant: credential.tenant, name: name, role: role, agentScope: scope, createdBy: credential.subject,
                                         on: connection)
            }
            return JSONResponse.make(.created, Self.json(record, key: key))
        case .listKeys:
            try Self.refuseBody(request)
            let records = try await keys.keys(tenant: credential.tenant)
            return JSONResponse.make(.ok, ["keys": .array(records.map { Self.json($0) })])
        case .revokeKey:
            let keyID = try context.pathParameter("key_id") ?? ""
            guard let record = try await keys.revoke(tenant: credential.tenant, keyID: keyID) else {
                throw Problem(.notFound, "this tenant has no API key \(keyID)", field: "key_id")
            }
            authenticator.forget(keyID)
            // Every other replica forgets it too (and would within its cache TTL anyway).
            try? bus.publish(Authenticator.revokedSubject, Envelope(type: "agion.gateway.key_revoked", tenant: credential.tenant,
                                                                    payload: Array(keyID.utf8)))
            return JSONResponse.make(.ok, Self.json(record))
        }
    }

    /// `agent` keys need a scope (`container:name` or `container:*`); other roles take none.
    static func validateScope(_ scope: String?, role: Credential.Role) throws {
        guard role == .agent else {
            if scope != nil { throw Problem(.invalidRequest, "only agent keys have an agent scope", field: "agent_scope") }
            return
        }
        guard let scope else { throw Problem(.invalidRequest, "agent keys need the agents they act for: container:name or container:*", field: "agent_scope") }
        let parts = scope.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let validAgent = (try? AgentID(scope)) != nil
        guard validAgent || (parts.count == 2 && parts[1] == "*" && (try? AgentID(String(parts[0]) + ":x")) != nil) else {
            throw Problem(.invalidRequest, "container:name or container:*", field: "agent_scope")
        }
    }

    static func json(_ record: KeyStore.KeyRecord, key: APIKey? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "key_id": .string(record.keyID), "tenant": .string(record.tenant), "name": .string(record.name), "role": .string(record.role.rawValue),
            "created_by": .string(record.createdBy), "created_at": .string(timestamp(record.createdAt)),
        ]
        if let scope = record.agentScope { object["agent_scope"] = .string(scope) }
        if let revoked = record.revokedAt { object["revoked_at"] = .string(timestamp(revoked)) }
        if let key { object["key"] = .string(key.description) }
        return .object(object)
    }

    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

    private func object(_ request: Request, allowed: Set<String>) async throws -> JSONObjectReader {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: maxBodyBytes) } catch { throw Problem(.payloadTooLarge, "bodies are at most \(maxBodyBytes) bytes") }
        let json: JSONValue
        do { json = try JSONValue.parse(Array(buffer.readableBytesView)) } catch { throw Problem(.invalidJSON, error.description) }
        guard case .object(let fields) = json else { throw Problem(.invalidRequest, "the body must be a JSON object, not \(json.typeName)") }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Problem(.invalidRequest, "unknown field (this route takes: \(allowed.sorted().joined(separator: ", ")))", field: unknown)
        }
        return JSONObjectReader(fields: fields)
    }

    private static func refuseBody(_ request: Request) throws {
        if let length = request.headers[.contentLength], length != "0" { throw Problem(.invalidRequest, "this route takes no body") }
    }
}

/// Typed reads from a JSON object, naming the field on error.
struct JSONObjectReader {
    let fields: [String: JSONValue]

    mutating func string(_ name: String, required: Bool = false) throws -> String? {
        switch fields[name] {
        case nil, .null?:
            if required { throw Problem(.invalidRequest, "required", field: name) }
            return nil
        case .string(let value)?: return value
        case let other?: throw Problem(.invalidRequest, "expected a string, got \(other.typeName)", field: name)
        }
    }
}
