/// Who is calling: established by `Authenticator` from an API key or a JWT,
/// never from the request body. The tenant of every request is this one.
public struct Credential: Sendable, Hashable {
    public enum Role: String, Sendable, CaseIterable, Codable {
        /// Everything in the tenant, including its API keys.
        case admin
        /// Agents, policies, checks, feedback and audit: runs the tenant.
        case `operator`
        /// An agent container: registers, heartbeats, checks, validates and
        /// reports executions for its own agents only (`agentScope`).
        case agent
        /// Reads.
        case viewer
        /// Reads, and approves or rejects approval requests (docs/missions.md).
        case approver
    }

    public let tenant: String
    public let role: Role
    /// The key id or the token's subject, for logs and the audit of key changes.
    public let subject: String
    /// For `agent` credentials: the agents they act for, `container:name` or
    /// `container:*`. Nil for other roles.
    public let agentScope: String?
    /// Platform administrators may also create tenants (the bootstrap key is one).
    public let platform: Bool
    /// The groups the caller belongs to: an approval request naming groups
    /// may be decided by their members only.
    public let groups: [String]

    public init(tenant: String, role: Role, subject: String, agentScope: String? = nil, platform: Bool = false, groups: [String] = []) {
        self.groups = groups
        self.tenant = tenant
        self.role = role
        self.subject = subject
        self.agentScope = agentScope
        self.platform = platform
    }

    public func allows(_ permission: Permission) -> Bool {
        if permission == .manageTenants { return platform && role == .admin }
        return Self.grants[role]!.contains(permission)
    }

    /// Whether an agent credential may act for `agentID` (other roles may act for any).
    public func mayActFor(agentID: String) -> Bool {
        guard role == .agent else { return true }
        guard let scope = agentScope else { return false }
        if scope.hasSuffix(":*") { return agentID.hasPrefix(String(scope.dropLast())) }
        return agentID == scope
    }

    /// Whether an agent credential may register (or re-register) agents of
    /// `container`: only the container its scope names.
    public func mayRegister(container: String) -> Bool {
        guard role == .agent else { return true }
        guard let scope = agentScope, let colon = scope.firstIndex(of: ":") else { return false }
        return scope[..<colon] == container
    }

    /// The first of `agentIDs` an agent credential may not register, if any.
    /// A scope of one agent (`cc:writer`) registers that agent only, not its
    /// neighbours (`cc:reader`) nor new ones (`cc:newbie`); `cc:*` registers
    /// any agent of container `cc`.
    public func firstAgentOutsideScope(_ agentIDs: [String]) -> (index: Int, id: String)? {
        guard role == .agent else { return nil }
        guard let index = agentIDs.firstIndex(where: { !mayActFor(agentID: $0) }) else { return nil }
        return (index, agentIDs[index])
    }

    static let grants: [Role: Set<Permission>] = [
        .viewer: [.read],
        .approver: [.read, .approve],
        .agent: [.register, .heartbeat, .check, .validate, .report],
        .operator: [.read, .register, .heartbeat, .deregister, .check, .validate, .report, .feedback, .managePolicies, .verifyAudit, .runMissions],
        .admin: [.read, .register, .heartbeat, .deregister, .check, .validate, .report, .feedback, .managePolicies, .verifyAudit, .runMissions, .manageKeys, .approve,
                 .archiveAudit],
    ]
}

/// What a route needs the caller to be allowed (docs/gateway.md has the table).
public enum Permission: String, Sendable, CaseIterable {
    case read, register, heartbeat, deregister, check, validate, report, feedback, managePolicies, verifyAudit, runMissions, manageKeys, manageTenants
    /// Approve or reject a step's approval request.
    case approve
    /// Archive old audit records and drop them (retention): admins only.
    case archiveAudit
}
