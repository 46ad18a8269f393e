import AgionEnvelope
import AgionJSON

/// Who may do what on NATS (docs/security.md): the accounts and users Agion
/// issues, as JWT claims.
///
/// - The **platform account** holds the services, JetStream and everything on
///   `agion.*`. Each service connects as its own user, allowed only its own
///   subjects; operators' tools and the tests connect as the `platform` user.
/// - Each **tenant** has an account of its own. Its agent containers connect
///   there with credentials the gateway issues, allowed only their agents'
///   subjects. The account imports the agents' method subjects
///   (`agion.tenant.<t>.agent.*.rpc.>`, `.progress.>`) from the platform
///   account and exports their invoke subjects to it. An import names the
///   tenant's own subjects only, so whatever an agent sends arrives in the
///   platform account on a subject carrying its tenant, and nothing it sends
///   can reach another tenant or a platform subject.
/// - The **system account** is NATS's own; the gateway uses it to publish
///   account JWTs to the servers (`$SYS.REQ.CLAIMS.UPDATE`).
public enum AccountDesign {
    /// Unlimited connections, subscriptions, payloads, imports and exports.
    static let openLimits: [String: JSONValue] = [
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": true, "conn": -1, "leaf": -1,
    ]

    public static func operatorClaims(signingKeys: [String], systemAccount: String) -> [String: JSONValue] {
        ["signing_keys": .array(signingKeys.map(JSONValue.string)), "system_account": .string(systemAccount)]
    }

    public static func systemAccountClaims() -> [String: JSONValue] {
        ["limits": .object(openLimits)]
    }

    /// The platform account: JetStream on, the agents' method and progress
    /// subjects exported, each tenant's invoke subjects imported.
    public static func platformAccountClaims(tenants: [(tenant: String, account: String)]) -> [String: JSONValue] {
        var limits = openLimits
        for key in ["mem_storage", "disk_storage", "streams", "consumer"] { limits[key] = -1 }
        return [
            "limits": .object(limits),
            "exports": [
                ["name": "agent calls", "subject": "agion.tenant.*.agent.*.rpc.>", "type": "service"],
                ["name": "agent progress", "subject": "agion.tenant.*.agent.*.progress.>", "type": "service"],
            ],
            "imports": .array(tenants.sorted { $0.tenant < $1.tenant }.map { tenant, account in
                ["name": .string("invoke \(tenant)"), "subject": .string(invokeSubjects(tenant)), "account": .string(account), "type": "service"]
            }),
        ]
    }

    /// A tenant's account: no JetStream; its agents' calls go to the platform
    /// account, its agents are invoked from there; users are signed by
    /// `userSigningKey` (the gateway's), and `revoked` users (public key →
    /// seconds since 1970) are refused from that time on.
    public static func tenantAccountClaims(tenant: String, platformAccount: String, userSigningKey: String,
                                           revoked: [String: Int64]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "limits": .object(openLimits),
            "signing_keys": [.string(userSigningKey)],
            "exports": [["name": "invocations", "subject": .string(invokeSubjects(tenant)), "type": "service"]],
            "imports": [
                ["name": "agent calls", "subject": .string("agion.tenant.\(tenant).agent.*.rpc.>"), "account": .string(platformAccount), "type": "service"],
                ["name": "agent progress", "subject": .string("agion.tenant.\(tenant).agent.*.progress.>"), "account": .string(platformAccount),
                 "type": "service"],
            ],
        ]
        if !revoked.isEmpty { claims["revocations"] = .object(revoked.mapValues(JSONValue.integer)) }
        return claims
    }

    /// An agent container's user: it may call the services and report
    /// progress as its agents, be invoked as them, and receive replies on its
    /// own inbox prefix (`_INBOX.<user public key>`), nothing else.
    public static func containerUserClaims(tenant: String, agents: [String], userPublicKey: String,
                                           tenantAccount: String) -> [String: JSONValue] {
        let publish = agents.flatMap { agent -> [JSONValue] in
            let base = "agion.tenant.\(tenant).agent.\(AgentSubjects.token(agent))"
            return [.string(base + ".rpc.>"), .string(base + ".progress.>")]
        }
        let subscribe = agents.map { JSONValue.string(AgentSubjects.invoke(tenant: tenant, agent: $0)) } + [.string("_INBOX.\(userPublicKey).>")]
        return [
            "pub": ["allow": .array(publish)],
            "sub": ["allow": .array(subscribe)],
            // One answer per invocation, within the longest step timeout.
            "resp": ["max": 1, "ttl": .integer(3_600 * 1_000_000_000)],
            "subs": -1, "data": -1, "payload": -1,
            "issuer_account": .string(tenantAccount),
        ]
    }

    /// A user of the platform account: `permissions` nil for the unrestricted
    /// `platform` user (operators' tools, tests), else a service's.
    public static func platformUserClaims(_ permissions: ServicePermissions?) -> [String: JSONValue] {
        var claims: [String: JSONValue] = ["subs": -1, "data": -1, "payload": -1]
        if let permissions {
            claims["pub"] = ["allow": .array(permissions.publish.map(JSONValue.string))]
            claims["sub"] = ["allow": .array(permissions.subscribe.map(JSONValue.string))]
        }
        return claims
    }

    public static func systemUserClaims() -> [String: JSONValue] {
        ["subs": -1, "data": -1, "payload": -1]
    }

    static func invokeSubjects(_ tenant: String) -> String { "agion.tenant.\(tenant).agent.*.invoke" }
}

/// What one service may publish and subscribe to in the platform account:
/// its own methods and events, the methods of the services it calls,
/// JetStream's API, replies and dead letters. A service cannot act as an
/// agent (no agent subject but its own methods), and only execution invokes agents.
public struct ServicePermissions: Sendable, Equatable {
    public let publish: [String]
    public let subscribe: [String]

    /// Every service: JetStream (API, acks, flow control), replies to requests
    /// from platform callers (`_INBOX.`) and from agents (`_R_.`, the replies
    /// of service imports), dead letters and JetStream's advisories.
    static let common = ServicePermissions(
        publish: ["$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "_INBOX.>", "_R_.>", "agion.dlq.>"],
        subscribe: ["_INBOX.>", "$JS.EVENT.ADVISORY.>"])

    init(publish: [String], subscribe: [String]) {
        self.publish = publish
        self.subscribe = subscribe
    }

    static func service(publish: [String], subscribe: [String]) -> ServicePermissions {
        ServicePermissions(publish: common.publish + publish, subscribe: common.subscribe + subscribe)
    }

    public static let byService: [String: ServicePermissions] = [
        "registry": .service(
            publish: ["agion.registry.>", "agion.rpc.governance.trust"],
            subscribe: ["agion.rpc.registry.>", "agion.tenant.*.agent.*.rpc.registry.>"]),
        "governance": .service(
            publish: ["agion.governance.>"],
            subscribe: ["agion.rpc.governance.>", "agion.tenant.*.agent.*.rpc.governance.>", "agion.governance.>"]),
        "coordination": .service(
            publish: ["agion.missions.>", "agion.steps.>", "agion.execution.cancel", "agion.rpc.registry.>", "agion.rpc.governance.>"],
            subscribe: ["agion.rpc.coordination.>", "agion.execution.evt.>"]),
        "execution": .service(
            publish: ["agion.execution.>", "agion.rpc.governance.>", "agion.rpc.registry.>", "agion.tenant.*.agent.*.invoke", "agion.missions.live.>",
                      "agion.outputs.>"],
            subscribe: ["agion.execution.cancel", "agion.tenant.*.agent.*.progress.>"]),
        "gateway": .service(
            publish: ["agion.rpc.>", "agion.gateway.>"],
            subscribe: ["agion.gateway.>", "agion.missions.evt.>", "agion.missions.live.>"]),
    ]
}
