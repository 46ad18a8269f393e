import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import MissionsCore

/// One attempt's work as coordination sent it (`agion.v1.StepWork`), checked.
struct StepWork: Sendable {
    var mission: String
    var missionUUID: UUID
    var step: String
    var attempt: Int
    var agent: AgentID
    var endpoint: AgentEndpoint?
    var action: String
    var input: JSONValue
    var timeout: Duration
    var idempotencyKey: String
    var principal: String
    var missionName: String
    var deadlineUnixNanos: Int64
    var capability: String?
    var tenant: String
    /// The approval this attempt runs under, and the digest it was given for.
    var approval: (id: String, digest: String)?

    init(_ envelope: Envelope) throws(EnvelopeError) {
        guard envelope.type == ExecutionSubjects.workType else { throw EnvelopeError(.unknownType, "not step work: \(envelope.type)") }
        let work = try ProtoSchema.decode("agion.v1.StepWork", from: envelope.payload)
        mission = work.string("mission_id")
        guard let uuid = UUID(uuidString: mission) else { throw EnvelopeError(.invalidField, "not a mission id", field: "mission_id") }
        missionUUID = uuid
        step = work.string("step_id")
        guard MissionDefinition.isStepID(step) else { throw EnvelopeError(.invalidField, "not a step id", field: "step_id") }
        attempt = Int(work.int("attempt"))
        guard attempt >= 1 else { throw EnvelopeError(.invalidField, "attempts count from 1", field: "attempt") }
        agent = try AgentID(work.string("agent_id"))
        endpoint = try work.message("endpoint").map { message throws(EnvelopeError) in try AgentEndpoint(proto: message, field: "endpoint") }
        action = work.string("action")
        guard !action.isEmpty else { throw EnvelopeError(.invalidField, "required", field: "action") }
        input = work.json("input")
        timeout = .seconds(max(Int(work.int("timeout_seconds")), 1))
        idempotencyKey = work.string("idempotency_key")
        principal = work.string("principal")
        missionName = work.string("mission_name")
        deadlineUnixNanos = work.int("deadline_unix_nanos")
        capability = work.string("capability").isEmpty ? nil : work.string("capability")
        tenant = envelope.tenant
        let approvalID = work.string("approval_id")
        approval = approvalID.isEmpty ? nil : (approvalID, work.string("approval_digest"))
    }

    /// Whether the attempt's approval covers exactly what is about to run:
    /// the digest of this agent, action and input is the one a person approved.
    var isApproved: Bool {
        guard let approval else { return false }
        return approval.digest == Approval.digest(agent: agent, action: action, input: input)
    }

    /// Where governance and the audit find this attempt.
    var executionID: String { "\(mission)/\(step)/\(attempt)" }

    /// What governance evaluates: the step's input (an object's fields, as a
    /// policy's `when` conditions read them) and, under `_mission`, which
    /// mission, step and attempt. Values past the context's limits (16
    /// levels, 4,096 values) are left out, never the whole check.
    var checkContext: ContextValue {
        var budget = ContextValue.Limits.nodes - 8
        var fields: [String: ContextValue] = [:]
        if case .object(let object) = input {
            for key in object.keys.sorted() {
                guard let value = Self.context(object[key]!, depth: 1, budget: &budget) else { continue }
                fields[key] = value
            }
        }
        fields["_mission"] = .object(["id": .string(mission), "name": .string(missionName), "step": .string(step), "attempt": .number(Double(attempt))])
        // In the check's audit record: which approval the attempt claims.
        if let approval { fields["_approval"] = .object(["id": .string(approval.id), "digest": .string(approval.digest)]) }
        return .object(fields)
    }

    private static func context(_ json: JSONValue, depth: Int, budget: inout Int) -> ContextValue? {
        guard depth <= ContextValue.Limits.depth, budget > 0 else { return nil }
        budget -= 1
        switch json {
        case .null: return .null
        case .bool(let v): return .bool(v)
        case .integer(let v): return .number(Double(v))
        case .number(let v): return v.isFinite ? .number(v) : nil
        case .string(let v): return .string(v)
        case .array(let items): return .list(items.compactMap { context($0, depth: depth + 1, budget: &budget) })
        case .object(let object):
            var fields: [String: ContextValue] = [:]
            for key in object.keys.sorted() { fields[key] = context(object[key]!, depth: depth + 1, budget: &budget) }
            return .object(fields)
        }
    }

    /// What the agent is told beside its input (docs/agent-contract.md).
    func agentContext(decision: Decision) -> [String: JSONValue] {
        var context: [String: JSONValue] = [
            "tenant": .string(tenant), "mission_id": .string(mission), "mission_name": .string(missionName), "step_id": .string(step),
            "attempt": .integer(Int64(attempt)), "idempotency_key": .string(idempotencyKey), "action": .string(action),
            "principal": .string(principal), "timeout_seconds": .integer(Int64(timeout / .seconds(1))), "decision_id": .string(decision.decisionID),
            "obligations": .array(decision.obligations.map { obligation in
                .object(["kind": .string(obligation.kind), "parameters": .object(obligation.parameters.mapValues { .string($0) })])
            }),
        ]
        if deadlineUnixNanos != 0 { context["mission_deadline_unix_nanos"] = .integer(deadlineUnixNanos) }
        return context
    }
}

/// Obligations of the governance decision that execution carries out itself;
/// the agent is told of all of them (`context.obligations`).
enum Obligations {
    /// `redact` (parameter `fields`, comma-separated): those top-level fields
    /// of the output become "[redacted]" before the output is validated,
    /// stored or passed on.
    static func apply(_ obligations: [Obligation], to output: JSONValue) -> JSONValue {
        guard case .object(var fields) = output else { return output }
        for obligation in obligations where obligation.kind == "redact" {
            let names = (obligation.parameters["fields"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names where fields[name] != nil { fields[name] = .string("[redacted]") }
        }
        return .object(fields)
    }
}
