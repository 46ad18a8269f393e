import AgionBus
import AgionNATSAuth
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import Logging

/// Governance and registry calls for agents written in Swift, over NATS
/// (the services' subjects, docs/subjects.md): the Swift twin of the Python
/// SDK's `GovernanceClient` (docs/sdk-swift.md).
///
///     let agion = try await AgionClient.connect(tenant: "acme")
///     let decision = try await agion.check("charts:generator", "reports.generate", context: ["rows": 500])
public final class AgionClient: Sendable {
    public let bus: Bus
    /// The tenant of every request (from the agent's credentials once NATS
    /// authentication lands; docs/sdk-swift.md).
    public let tenant: String
    public let timeout: Duration
    private let ownsBus: Bool

    /// Uses an existing connection (a service's, a test's).
    public init(bus: Bus, tenant: String, timeout: Duration = .seconds(5)) {
        self.bus = bus
        self.tenant = tenant
        self.timeout = timeout
        self.ownsBus = false
    }

    private init(ownedBus bus: Bus, tenant: String, timeout: Duration) {
        self.bus = bus
        self.tenant = tenant
        self.timeout = timeout
        self.ownsBus = true
    }

    /// Connects to NATS: `AGION_NATS_URL`, `AGION_TENANT` and
    /// `AGION_NATS_CREDS` (the container's `.creds` file from the gateway,
    /// docs/security.md) from the environment unless given. The connection
    /// rides out NATS restarts.
    public static func connect(natsURL: String? = nil, tenant: String? = nil, credentials: String? = nil, name: String = "agion-sdk-swift",
                               timeout: Duration = .seconds(5), logger: Logger = Logger(label: "agion.sdk")) async throws -> AgionClient {
        let environment = ProcessInfo.processInfo.environment
        let url = natsURL ?? environment["AGION_NATS_URL"] ?? "nats://127.0.0.1:14222"
        var configuration = BusConfiguration(url: url, name: name)
        if let file = credentials ?? environment["AGION_NATS_CREDS"], !file.isEmpty {
            // The credentials allow replies only under _INBOX.<the user's public key>.
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw AgionSDKError(code: "unauthenticated", message: "cannot read the NATS credentials \(file): \(error)", retriable: false)
            }
            configuration.credentialsFile = file
            configuration.inboxPrefix = try NATSCredentials(fileContents: text).inboxPrefix
        }
        let bus = try await Bus.connect(configuration, logger: logger)
        return AgionClient(ownedBus: bus, tenant: tenant ?? environment["AGION_TENANT"] ?? "default", timeout: timeout)
    }

    /// Drains the connection if this client made it.
    public func close() async {
        if ownsBus { try? await bus.drain() }
    }

    // MARK: governance

    /// May `agent` perform `action` now, with this context, for this principal?
    public func check(_ agent: AgentID, _ action: String, context: [String: ContextValue] = [:], principal: String? = nil,
                      delegationChain: [String] = []) async throws(AgionSDKError) -> Decision {
        try await call(GovernanceSubjects.check, as: agent, CheckRequest(agentID: agent, action: action, context: .object(context), principal: principal,
                                                                         delegationChain: delegationChain), reply: Decision.self)
    }

    /// An agent's output against the tenant's output rules (recorded; counts towards trust).
    public func validate(_ agent: AgentID, _ action: String, output: JSONValue) async throws(AgionSDKError) -> ValidationResult {
        let text: String
        let contentType: String
        if case .string(let plain) = output { (text, contentType) = (plain, "text/plain") } else { (text, contentType) = (output.serializedString, "application/json") }
        return try await call(GovernanceSubjects.validate, as: agent, ValidateOutputRequest(agentID: agent, action: action, output: text, contentType: contentType),
                              reply: ValidationResult.self)
    }

    /// What happened when the agent ran; returns its new overall trust.
    public func report(_ agent: AgentID, _ outcome: ExecutionReport.Outcome, latencyMillis: Double = 0, targetLatencyMillis: Double = 0,
                       capability: String? = nil, executionID: String = "") async throws(AgionSDKError) -> TrustScore {
        try await call(GovernanceSubjects.report, as: agent, ExecutionReport(agentID: agent, capability: capability, outcome: outcome, latencyMillis: latencyMillis,
                                                                             targetLatencyMillis: targetLatencyMillis, executionID: executionID),
                       reply: TrustScore.self)
    }

    /// A user's rating of `agent`, 1 (bad) to 5 (excellent), passed on by
    /// `from`, another agent of this container (an agent may not rate itself).
    public func feedback(_ agent: AgentID, from: AgentID, rating: Int, source: String, comment: String = "",
                         capability: String? = nil) async throws(AgionSDKError) -> TrustScore {
        try await call(GovernanceSubjects.feedback, as: from,
                       FeedbackRequest(agentID: agent, capability: capability, rating: rating, comment: comment, source: source),
                       reply: TrustScore.self)
    }

    // MARK: registry

    /// Registers each agent on its own subject (an agent registers only itself).
    public func register(container: String, agents: [Agent]) async throws(AgionSDKError) {
        for agent in agents {
            _ = try await call(RegistrySubjects.register, as: agent.id, RegisterAgentsRequest(container: container, agents: [agent]),
                               reply: RegisterAgentsResponse.self)
        }
    }

    /// Returns the agent's status as the registry sees it.
    public func heartbeat(_ agent: AgentID, ttlSeconds: UInt32, load: [String: String] = [:]) async throws(AgionSDKError) -> AgentStatus {
        try await call(RegistrySubjects.heartbeat, as: agent, Heartbeat(agentID: agent, ttlSeconds: ttlSeconds, load: load), reply: HeartbeatAck.self).status
    }

    public func deregister(_ agent: AgentID, reason: String = "") async throws(AgionSDKError) {
        _ = try await call(RegistrySubjects.deregister, as: agent, DeregisterAgentRequest(agentID: agent, reason: reason), reply: AgentRecord.self)
    }

    // MARK: the wire

    /// Calls the platform method `method` as `agent`, on the agent's own
    /// subject (`AgentSubjects`): the only ones its NATS credentials allow.
    func call<Request: ProtoConvertible, Reply: ProtoConvertible>(_ method: String, as agent: AgentID, _ request: Request,
                                                                  reply: Reply.Type) async throws(AgionSDKError) -> Reply {
        let subject = AgentSubjects.rpc(tenant: tenant, agent: agent.description, platformSubject: method)
        do {
            return try await bus.call(subject, request, tenant: tenant, as: Reply.self, timeout: timeout)
        } catch {
            throw AgionSDKError(error, subject: subject)
        }
    }
}

/// Every error of the SDK: a stable `code` (the services' `ErrorReply` codes,
/// or `unavailable` / `timeout` / `bus_unavailable` for the transport, or
/// `denied` / `approval_required` for decisions), a message, the offending
/// field, and whether the same call may succeed later.
public struct AgionSDKError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let field: String
    public let retriable: Bool
    /// Set for `denied` and `approval_required`.
    public let decision: Decision?

    public init(code: String, message: String, field: String = "", retriable: Bool, decision: Decision? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.retriable = retriable
        self.decision = decision
    }

    init(_ error: any Error, subject: String) {
        if let bus = error as? BusError {
            switch bus.code {
            case .remote where bus.remote != nil:
                let reply = bus.remote!
                self.init(code: reply.code.wire, message: reply.message, field: reply.field, retriable: reply.retriable)
            case .timeout: self.init(code: "timeout", message: "\(subject) did not answer in time", retriable: true)
            case .noResponders: self.init(code: "unavailable", message: "nothing serves \(subject)", retriable: true)
            case .connectionFailed, .closed, .io: self.init(code: "bus_unavailable", message: "NATS is unavailable: \(bus)", retriable: true)
            case .overloaded: self.init(code: "overloaded", message: "\(bus)", retriable: true)
            default: self.init(code: "internal", message: "\(bus)", retriable: false)
            }
        } else if let envelope = error as? EnvelopeError {
            self.init(code: "invalid_argument", message: envelope.message, field: envelope.field, retriable: false)
        } else {
            self.init(code: "internal", message: "\(error)", retriable: false)
        }
    }

    public static func denied(_ decision: Decision) -> AgionSDKError {
        AgionSDKError(code: "denied", message: decision.reasons.joined(separator: "; "), retriable: decision.failClosed, decision: decision)
    }

    public static func approvalRequired(_ decision: Decision) -> AgionSDKError {
        AgionSDKError(code: "approval_required", message: decision.reasons.joined(separator: "; "), retriable: true, decision: decision)
    }

    public var description: String { "\(code): \(message)" + (field.isEmpty ? "" : " (\(field))") }
}
