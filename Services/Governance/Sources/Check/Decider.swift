import AgionContract
import AgionEnvelope
import AgionRuntime
import AgionStore
import Foundation
import GovernanceCore
import Logging
import Metrics

/// The check hot path, on a blocking responder thread: policy from memory,
/// agent standing from Redis, evaluation, rate limits, the audit record into
/// the spool, then the reply. Anything it cannot establish fails closed
/// (deny, with the reason) unless the tenant's policy says
/// `when_unavailable: allow`.
final class Decider: Sendable {
    let policies: PolicyCache
    let directory: AgentDirectory
    let limiter: RateLimiter
    let spool: AuditSpool
    let shipperWakeup: Wakeup
    let storeHealth: StoreHealth
    let model: TrustModel
    let auditEnabled: Bool
    let logger: Logger
    /// Checks larger than this are refused before decoding (the context is bounded too).
    static let maxRequestBytes = 256 << 10
    private let decisions: [Effect: Counter] = Dictionary(uniqueKeysWithValues: Effect.allCases.map {
        ($0, Counter(label: "agion_governance_decisions_total", dimensions: [("effect", $0.rawValue)]))
    })
    private let unaudited = Counter(label: "agion_governance_audit_failures_total")

    init(policies: PolicyCache, directory: AgentDirectory, limiter: RateLimiter, spool: AuditSpool, shipperWakeup: Wakeup,
         storeHealth: StoreHealth, model: TrustModel, auditEnabled: Bool = true, logger: Logger) {
        self.auditEnabled = auditEnabled
        self.policies = policies
        self.directory = directory
        self.limiter = limiter
        self.spool = spool
        self.shipperWakeup = shipperWakeup
        self.storeHealth = storeHealth
        self.model = model
        self.logger = logger
    }

    /// What was decided, before it is recorded.
    struct Outcome {
        var effect: Effect
        var ruleIDs: [String] = []
        var reasons: [String]
        var obligations: [Obligation] = []
        var trust: Double = 0.5
        var revision: UInt32 = 0
        /// Denied because a store the decision needs was unavailable.
        var failClosed = false
    }

    /// One check: decide, write the audit record, answer.
    func check(_ envelope: Envelope) throws -> Envelope {
        let decided = try prepare(envelope)
        try audit([decided.record])
        return finish(decided)
    }

    /// A batch of checks (from a `RequestBatcher`), each with its own tenant:
    /// decided one by one, their audit records written with one `write(2)`,
    /// then answered. A check that fails gets its error in its slot.
    func check(batch envelopes: [Envelope]) -> [Result<Envelope, any Error>] {
        let decided = envelopes.map { envelope in Result { () throws -> Decided in try prepare(envelope) } }
        do {
            try audit(decided.compactMap { try? $0.get().record })
        } catch {
            return decided.map { $0.flatMap { _ in .failure(error) } }
        }
        return decided.map { $0.map(finish) }
    }

    /// A decision and its audit record, before the record is written.
    struct Decided {
        let effect: Effect
        let record: [UInt8]
        let reply: Envelope
    }

    private func prepare(_ envelope: Envelope) throws -> Decided {
        let started = ContinuousClock.now
        guard envelope.payload.count <= Self.maxRequestBytes else {
            throw ErrorReply(code: ErrorReply.Code.invalidArgument, message: "a check request is at most \(Self.maxRequestBytes) bytes", field: "context")
        }
        let (request, context) = try decodeRequest(envelope, as: CheckRequest.self)
        try context.requireCaller(is: request.agentID.description)
        let now = Envelope.nowUnixNanos()
        let outcome = try decide(request, tenant: context.tenant.value, now: now)
        let decisionID = UUIDv7.make().lowercasedString
        let record = AuditRecord(
            decisionID: decisionID, kind: .check, tenant: context.tenant.value, agentID: request.agentID.description, action: request.action,
            principal: request.principal ?? "", delegationChain: request.delegationChain, context: request.context,
            result: outcome.effect.rawValue, ruleIDs: outcome.ruleIDs, reasons: outcome.reasons, obligations: outcome.obligations,
            trustScore: outcome.trust, policyRevision: outcome.revision, decidedAtUnixNanos: now,
            evaluationNanos: Int64((ContinuousClock.now - started) / .nanoseconds(1)))
        let decision = Decision(decisionID: decisionID, effect: outcome.effect, ruleIDs: outcome.ruleIDs, reasons: outcome.reasons,
                                obligations: outcome.obligations, trustScore: outcome.trust, policyRevision: outcome.revision,
                                failClosed: outcome.failClosed)
        return Decided(effect: outcome.effect, record: auditEnabled ? record.fastEncoded() : [],
                       reply: envelope.caused(type: Decision.protoName, payload: decision.fastEncoded()))
    }

    /// Writes decisions to the spool before any of them is answered.
    private func audit(_ records: [[UInt8]]) throws {
        guard auditEnabled, !records.isEmpty else { return }
        do {
            try spool.append(contentsOf: records)
        } catch {
            // Never answer a decision that is not in the audit trail.
            unaudited.increment(by: records.count)
            logger.error("governance.audit_failed", metadata: ["error": "\(error)", "decisions": "\(records.count)"])
            throw ErrorReply(code: ErrorReply.Code.unavailable, message: "the decision could not be audited; treat it as deny", retriable: true)
        }
        shipperWakeup.signal()
    }

    private func finish(_ decided: Decided) -> Envelope {
        decisions[decided.effect]?.increment()
        return decided.reply
    }

    func decide(_ request: CheckRequest, tenant: String, now: Int64) throws(ErrorReply) -> Outcome {
        let entry: PolicyCache.Entry
        if let cached = policies.cached(tenant) {
            entry = cached
        } else {
            do {
                entry = try blockingAwait { try await self.policies.entry(for: tenant) }
            } catch {
                return Outcome(effect: .deny, reasons: ["the policy store is unavailable and this replica has not loaded tenant \(tenant)'s policy yet (fail closed)"],
                               failClosed: true)
            }
        }
        guard entry.known else {
            // Not a decision about an agent: the request names a tenant governance
            // has never been given a policy for (a typo, or a missing setup step).
            throw ErrorReply(code: ErrorReply.Code.unknownTenant, message: "tenant \(tenant) is unknown to governance: it has no policy",
                             field: "tenant")
        }
        guard let policy = entry.policy else {
            return Outcome(effect: .deny, reasons: ["tenant \(tenant) has no active policy (default deny)"], revision: entry.revision)
        }
        let failOpen = policy.policy.defaults.whenUnavailable == .allow
        var notes: [String] = []
        var standing: AgentStanding
        do {
            standing = try directory.standingBlocking(tenant: tenant, agent: request.agentID.description, now: now)
        } catch {
            guard failOpen else {
                return Outcome(effect: .deny, reasons: ["the agent's standing is unavailable (Redis and PostgreSQL did not answer): fail closed"],
                               revision: entry.revision, failClosed: true)
            }
            standing = AgentStanding(status: .healthy, trust: .neutral(at: now))
            notes.append("the agent's standing is unavailable; the policy allows deciding without it (neutral trust)")
        }
        let trust = model.score(standing.trust, at: now)
        guard let status = standing.status else {
            return Outcome(effect: .deny, reasons: ["agent \(request.agentID) is not registered in tenant \(tenant)"], trust: trust, revision: entry.revision)
        }
        guard status == .healthy || status == .unhealthy else {
            return Outcome(effect: .deny, reasons: ["agent \(request.agentID) is \(status.name)"], trust: trust, revision: entry.revision)
        }
        if !storeHealth.isAvailable {
            guard failOpen else {
                return Outcome(effect: .deny, reasons: ["governance's database is unavailable: fail closed"], trust: trust, revision: entry.revision,
                               failClosed: true)
            }
            notes.append("governance's database is unavailable; the policy allows deciding without it")
        }
        var evaluation = policy.evaluate(PolicyRequest(agentID: request.agentID.description, action: request.action, principal: request.principal,
                                                       delegationChain: request.delegationChain, context: request.context, trust: trust,
                                                       unixSeconds: now / 1_000_000_000))
        var limitsUnavailable = false
        if evaluation.effect != .deny, !evaluation.rateLimits.isEmpty {
            do {
                if let exhausted = try limiter.draw(evaluation.rateLimits, tenant: tenant, unixSeconds: now / 1_000_000_000) {
                    evaluation = Evaluation(effect: .deny, ruleIDs: [exhausted.ruleID], reasons: [exhausted.exceededReason])
                }
            } catch {
                if !failOpen {
                    limitsUnavailable = true
                    evaluation = Evaluation(effect: .deny, ruleIDs: evaluation.rateLimits.map(\.ruleID),
                                            reasons: ["rate limits cannot be checked (Redis unavailable): fail closed"])
                } else {
                    notes.append("rate limits were not checked (Redis unavailable); the policy allows deciding without them")
                }
            }
        }
        return Outcome(effect: evaluation.effect, ruleIDs: evaluation.ruleIDs, reasons: evaluation.reasons + notes,
                       obligations: evaluation.obligations, trust: trust, revision: entry.revision, failClosed: limitsUnavailable)
    }
}
