import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Logging
import Metrics

/// Live progress of running attempts (tokens, "50% done", partial outputs),
/// relayed to `agion.missions.live.<tenant>.<mission>` as `agion.v1.StepProgress`
/// on core NATS: not stored (it would flood the history), seen by whoever
/// follows the mission (the gateway's `/v1/missions/{id}/stream`). Execution
/// is the one relay for both kinds of agent: an HTTP agent's `progress`
/// events, and a NATS agent's messages on its own progress subject, taken
/// only for the attempt execution is running. The mission, step, attempt
/// and agent are set from the attempt, never from what the agent says.
struct ProgressRelay: Sendable {
    let bus: Bus
    let logger: Logger
    /// Larger updates are dropped: a partial result is a preview, the output is the result.
    static let maxUpdateBytes = 64 * 1_024
    private let relayed = Counter(label: "agion_execution_progress_relayed_total")
    private let dropped = Counter(label: "agion_execution_progress_dropped_total")

    init(bus: Bus, logger: Logger) {
        self.bus = bus
        self.logger = logger
    }

    /// The attempt an update belongs to.
    struct Attempt: Sendable {
        var tenant: String
        var mission: String
        var step: String
        var attempt: Int
        var agent: AgentID
    }

    /// An HTTP agent's `progress` event (`{"sequence", "message", "percent", "text", "partial"}`).
    func relay(json data: [UInt8], for attempt: Attempt) {
        guard data.count <= Self.maxUpdateBytes, case .object(let fields)? = try? JSONValue.parse(data) else { return drop() }
        func number(_ key: String) -> Double {
            switch fields[key] {
            case .integer(let v)?: Double(v)
            case .number(let v)?: v
            default: 0
            }
        }
        var update: [String: ProtoValue] = [
            "sequence": .uint(UInt64(max(number("sequence"), 0))), "message": .string(fields["message"]?.stringValue ?? ""),
            "percent": .double(min(max(number("percent"), 0), 100)), "text": .string(fields["text"]?.stringValue ?? ""),
        ]
        if let partial = fields["partial"], partial != .null { update["partial"] = .message(partial.valueProto) }
        let at = Int64(number("occurred_at_unix_nanos"))
        update["occurred_at_unix_nanos"] = .int(at > 0 ? at : Envelope.nowUnixNanos())
        publish(update, for: attempt)
    }

    /// A NATS agent's envelope from its progress subject; one for another step or attempt is not this one's.
    func relay(envelope: Envelope, for attempt: Attempt) {
        guard envelope.payload.count <= Self.maxUpdateBytes, let message = try? ProtoSchema.decode("agion.v1.StepProgress", from: envelope.payload),
              message.string("step_id") == attempt.step, message.int("attempt") == Int64(attempt.attempt) else { return drop() }
        var update = message.fields
        if message.int("occurred_at_unix_nanos") <= 0 { update["occurred_at_unix_nanos"] = .int(Envelope.nowUnixNanos()) }
        update["percent"] = .double(min(max(message.double("percent"), 0), 100))
        publish(update, for: attempt)
    }

    private func publish(_ fields: [String: ProtoValue], for attempt: Attempt) {
        var fields = fields
        fields["mission_id"] = .string(attempt.mission)
        fields["step_id"] = .string(attempt.step)
        fields["attempt"] = .uint(UInt64(attempt.attempt))
        fields["agent_id"] = .string(attempt.agent.description)
        do {
            let payload = try ProtoSchema.encode(ProtoMessage("agion.v1.StepProgress", fields))
            try bus.publish(CoordinationSubjects.liveSubject(tenant: attempt.tenant, mission: attempt.mission),
                            Envelope(type: CoordinationSubjects.progressType, tenant: attempt.tenant, payload: payload))
            relayed.increment()
        } catch {
            // Best effort by design: the step's result does not depend on it.
            logger.debug("execution.progress_not_relayed", metadata: ["mission.id": "\(attempt.mission)", "error": "\(error)"])
            dropped.increment()
        }
    }

    private func drop() { dropped.increment() }
}
