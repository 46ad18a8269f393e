import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionNATSAuth
import AgionStore
import Foundation
import Hummingbird

/// The gateway's own routes: tenants and API keys, in its schema.
struct LocalHandler: Sendable {
    let keys: KeyStore
    let authenticator: Authenticator
    let bus: Bus
    let maxBodyBytes: Int
    /// Nil when NATS runs without authentication (no `AGION_NATS_AUTH_DIR`).
    let accounts: TenantAccounts?

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
            // The tenant's NATS account, so its agent containers can connect
            // (the minutely reconcile catches up if this fails).
            if let accounts {
                do { try await accounts.publish(tenant: tenant.value) } catch {
                    context.logger.warning("gateway.nats_account_publish_failed", metadata: ["tenant": "\(tenant.value)", "error": "\(error)"])
                }
            }
            return JSONResponse.make(.created, ["tenant": .string(tenant.value), "display_name": .string(displayName),
                                                "admin_key": Self.json(record, key: key)])
        case .listTenants:
            let tenants = try await keys.tenants()
            return JSONResponse.make(.ok, ["tenants": .array(tenants.map {
                ["tenant": .string($0.tenant), "display_name": .string($0.displayName), "created_at": .string(Self.timestamp($0.createdAt))]
            })])
        case .createKey:
            var body = try await object(request, allowed: ["name", "role", "agent_scope", "groups"])
            let name = try body.string("name", required: true)!
            guard (1...128).contains(name.utf8.count) else { throw Problem(.invalidRequest, "1 to 128 bytes", field: "name") }
            let roleText = try body.string("role", required: true)!
            guard let role = Credential.Role(rawValue: roleText) else {
                throw Problem(.invalidRequest, "one of \(Credential.Role.allCases.map(\.rawValue).joined(separator: ", "))", field: "role")
            }
            let scope = try body.string("agent_scope")
            try Self.validateScope(scope, role: role)
            let groups = try body.strings("groups") ?? []
            guard groups.count <= 16 else { throw Problem(.invalidRequest, "at most 16 groups", field: "groups") }
            if let index = groups.firstIndex(where: { !GroupName.isValid($0) }) {
                throw Problem(.invalidRequest, GroupName.rule, field: "groups[\(index)]")
            }
            let (key, record) = try await keys.pool.withConnection { connection in
                try await keys.createKey(tenant: credential.tenant, name: name, role: role, agentScope: scope, groups: groups,
                                         createdBy: credential.subject, on: connection)
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
        case .createNATSCredential, .listNATSCredentials, .revokeNATSCredential:
            guard let accounts else {
                throw Problem(.failedPrecondition, "NATS authentication is not configured on this deployment (AGION_NATS_AUTH_DIR; docs/security.md)")
            }
            return try await natsCredentials(operation, accounts: accounts, credential: credential, request: request, context: context)
        }
    }

    /// Agent containers' NATS credentials (docs/security.md).
    private func natsCredentials(_ operation: LocalOperation, accounts: TenantAccounts, credential: Credential, request: Request,
                                 context: GatewayContext) async throws -> Response {
        switch operation {
        case .createNATSCredential:
            var body = try await object(request, allowed: ["name", "agents", "expires_in_seconds"])
            let name = try body.string("name", required: true)!
            guard (1...128).contains(name.utf8.count) else { throw Problem(.invalidRequest, "1 to 128 bytes", field: "name") }
            let agents = try body.strings("agents", required: true)!
            guard (1...100).contains(agents.count) else { throw Problem(.invalidRequest, "1 to 100 agents", field: "agents") }
            for (index, agent) in agents.enumerated() {
                do { _ = try AgentID(agent) } catch { throw Problem(.invalidRequest, error.message, field: "agents[\(index)]") }
            }
            let lifetime = try body.integer("expires_in_seconds")
            if let lifetime, lifetime < 60 { throw Problem(.invalidRequest, "at least 60", field: "expires_in_seconds") }
            let now = Int64(Date().timeIntervalSince1970)
            let expires = lifetime.map { now + $0 }
            let unique = Array(Set(agents)).sorted()
            let creds = try accounts.authority.containerCredentials(tenant: credential.tenant, agents: unique, name: name, issuedAt: now,
                                                                    expires: expires)
            let record = try await accounts.credentials.insert(
                id: "nc_" + UUIDv7.make().lowercasedString.replacingOccurrences(of: "-", with: ""), tenant: credential.tenant, name: name,
                agents: unique, userKey: creds.userPublicKey ?? "", createdBy: credential.subject, issuedAt: now, expiresAt: expires)
            var json = Self.json(record)
            json["creds"] = .string(creds.fileContents)
            return JSONResponse.make(.created, .object(json))
        case .listNATSCredentials:
            try Self.refuseBody(request)
            let records = try await accounts.credentials.list(tenant: credential.tenant)
            return JSONResponse.make(.ok, ["credentials": .array(records.map { .object(Self.json($0)) })])
        default:
            let id = try context.pathParameter("credential_id") ?? ""
            guard let record = try await accounts.credentials.revoke(tenant: credential.tenant, id: id) else {
                throw Problem(.notFound, "this tenant has no NATS credential \(id)", field: "credential_id")
            }
            // NATS refuses the user once its account's JWT lists it, and
            // closes its connections at once.
            do {
                try await accounts.publish(tenant: credential.tenant)
            } catch {
                throw Problem(.serviceUnavailable, "the credential is revoked, but NATS could not be told yet (it will be within a minute): \(error)")
            }
            return JSONResponse.make(.ok, .object(Self.json(record)))
        }
    }

    static func json(_ record: NATSCredentialStore.Record) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "credential_id": .string(record.credentialID), "tenant": .string(record.tenant), "name": .string(record.name),
            "agents": .array(record.agents.map(JSONValue.string)), "user_public_key": .string(record.userKey),
            "inbox_prefix": .string("_INBOX.\(record.userKey)"),
            "created_by": .string(record.createdBy), "created_at": .string(timestamp(record.createdAt)),
        ]
        if let expires = record.expiresAt { object["expires_at"] = .string(timestamp(expires)) }
        if let revoked = record.revokedAt { object["revoked_at"] = .string(timestamp(revoked)) }
        return object
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
        if !record.groups.isEmpty { object["groups"] = .array(record.groups.map { .string($0) }) }
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

    mutating func strings(_ name: String, required: Bool = false) throws -> [String]? {
        switch fields[name] {
        case nil, .null?:
            if required { throw Problem(.invalidRequest, "required", field: name) }
            return nil
        case .array(let items)?:
            return try items.enumerated().map { index, item in
                guard case .string(let value) = item else { throw Problem(.invalidRequest, "expected a string, got \(item.typeName)", field: "\(name)[\(index)]") }
                return value
            }
        case let other?: throw Problem(.invalidRequest, "expected an array of strings, got \(other.typeName)", field: name)
        }
    }

    mutating func integer(_ name: String) throws -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .integer(let value)?: return value
        case .number(let value)? where value.rounded() == value && abs(value) < 1e15: return Int64(value)
        case let other?: throw Problem(.invalidRequest, "expected a whole number, got \(other.typeName)", field: name)
        }
    }
}
