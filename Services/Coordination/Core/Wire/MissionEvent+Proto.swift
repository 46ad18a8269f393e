import AgionContract
import AgionEnvelope
import AgionJSON

extension MissionEvent {
    /// The event as the `agion.v1.MissionEvent` stored in the mission's stream
    /// and published on AGION_MISSIONS (envelope type `agion.missions.<name>`).
    public func proto(mission: String, position: Int64, at unixNanos: Int64) -> ProtoMessage {
        var fields: [String: ProtoValue] = ["mission_id": .string(mission), "position": .int(position), "name": .string(name),
                                            "occurred_at_unix_nanos": .int(unixNanos)]
        func step(_ id: String, _ attempt: Int? = nil, _ agent: AgentID? = nil) {
            fields["step_id"] = .string(id)
            if let attempt { fields["attempt"] = .uint(UInt64(attempt)) }
            if let agent { fields["agent_id"] = .string(agent.description) }
        }
        switch self {
        case .submitted(let submitted):
            fields["definition"] = .message(submitted.definition.proto)
            fields["idempotency_key"] = .string(submitted.idempotencyKey)
            fields["deadline_unix_nanos"] = .int(submitted.deadlineUnixNanos ?? 0)
            fields["requested_by"] = .string(submitted.submittedBy)
        case .stepScheduled(let scheduled):
            step(scheduled.step, scheduled.attempt, scheduled.agent)
            fields["data"] = .message(scheduled.input.valueProto)
            fields["action"] = .string(scheduled.action)
            fields["timeout_seconds"] = .uint(UInt64(scheduled.timeoutSeconds))
            if let approval = scheduled.approval { fields["approval"] = .message(ProtoMessage("agion.v1.Approval", ["approval_id": .string(approval)])) }
        case .approval(_, let approval):
            step(approval.step, approval.attempt, approval.agent)
            fields["approval"] = .message(approval.proto(mission: mission, missionName: ""))
        case .stepStarted(let id, let attempt, let agent):
            step(id, attempt, agent)
        case .stepSucceeded(let success):
            step(success.step, success.attempt, success.agent)
            fields["data"] = .message(success.output.valueProto)
            fields["usage"] = .message(success.usage.proto)
            fields["latency_ms"] = .double(success.latencyMillis)
        case .stepFailed(let failure):
            step(failure.step, failure.attempt, failure.agent)
            fields["error"] = .message(failure.error.proto(attempt: failure.attempt, agent: failure.agent))
            fields["usage"] = .message(failure.usage.proto)
            fields["final"] = .bool(failure.final)
        case .stepRetryScheduled(let id, let attempt, let at):
            step(id, attempt)
            fields["at_unix_nanos"] = .int(at)
        case .stepAwaitingApproval(let id, let attempt, let agent, let reasons):
            step(id, attempt, agent)
            fields["reasons"] = .list(reasons.map { .string($0) })
        case .stepCancelled(let id, let reason):
            step(id)
            fields["reason"] = .string(reason)
        case .budgetExceeded(let usage):
            fields["usage"] = .message(usage.proto)
        case .cancelRequested(let by, let reason):
            fields["requested_by"] = .string(by)
            fields["reason"] = .string(reason)
        case .stepReplayed(let id, let by):
            step(id)
            fields["requested_by"] = .string(by)
        case .succeeded(let output):
            fields["data"] = .message(output.valueProto)
        case .failed(let code, let reason, let failedStep):
            fields["code"] = .string(code)
            fields["reason"] = .string(reason)
            if let failedStep { fields["step_id"] = .string(failedStep) }
        case .cancelled(let reason):
            fields["reason"] = .string(reason)
        case .timedOut:
            break
        }
        return ProtoMessage("agion.v1.MissionEvent", fields)
    }

    /// Reads an event back from its proto; nil for a name this reader does not know.
    public init?(proto: ProtoMessage) throws(EnvelopeError) {
        func agent(_ required: Bool = true) throws(EnvelopeError) -> AgentID? {
            let text = proto.string("agent_id")
            if text.isEmpty, !required { return nil }
            return try AgentID(text)
        }
        let stepID = proto.string("step_id"), attempt = Int(proto.int("attempt"))
        switch proto.string("name") {
        case "submitted":
            guard let definition = proto.message("definition") else { throw EnvelopeError(.invalidField, "submitted without its definition", field: "definition") }
            let submittedAt = proto.int("occurred_at_unix_nanos")
            let parsed: MissionDefinition
            do { parsed = try MissionDefinition.parse(proto: definition, nowUnixNanos: Int64.min) } catch {
                throw EnvelopeError(.invalidField, error.description, field: "definition." + error.field)
            }
            let deadline = proto.int("deadline_unix_nanos")
            self = .submitted(Submitted(definition: parsed, idempotencyKey: proto.string("idempotency_key"), submittedAtUnixNanos: submittedAt,
                                        deadlineUnixNanos: deadline == 0 ? nil : deadline, submittedBy: proto.string("requested_by")))
        case "step_scheduled":
            let approval = proto.message("approval")?.string("approval_id") ?? ""
            self = .stepScheduled(StepScheduled(step: stepID, attempt: attempt, agent: try agent()!, input: proto.json("data"),
                                                action: proto.string("action"), timeoutSeconds: Int(proto.int("timeout_seconds")),
                                                approval: approval.isEmpty ? nil : approval))
        case let name where name.hasPrefix("approval_"):
            guard let change = ApprovalChange(rawValue: String(name.dropFirst("approval_".count))) else { return nil }
            guard let approval = Approval(proto: proto.message("approval")) else {
                throw EnvelopeError(.invalidField, "\(name) without its approval request", field: "approval")
            }
            self = .approval(change, approval)
        case "step_started": self = .stepStarted(step: stepID, attempt: attempt, agent: try agent()!)
        case "step_succeeded":
            self = .stepSucceeded(StepSucceeded(step: stepID, attempt: attempt, agent: try agent()!, output: proto.json("data"),
                                                usage: Usage(proto: proto.message("usage")), latencyMillis: proto.double("latency_ms")))
        case "step_failed":
            self = .stepFailed(StepFailed(step: stepID, attempt: attempt, agent: try agent(false), error: StepError(proto: proto.message("error")),
                                          usage: Usage(proto: proto.message("usage")), final: proto.bool("final")))
        case "step_retry_scheduled": self = .stepRetryScheduled(step: stepID, attempt: attempt, atUnixNanos: proto.int("at_unix_nanos"))
        case "step_awaiting_approval":
            self = .stepAwaitingApproval(step: stepID, attempt: attempt, agent: try agent()!, reasons: proto.list("reasons").compactMap(\.string))
        case "step_cancelled": self = .stepCancelled(step: stepID, reason: proto.string("reason"))
        case "budget_exceeded": self = .budgetExceeded(usage: Usage(proto: proto.message("usage")))
        case "cancel_requested": self = .cancelRequested(by: proto.string("requested_by"), reason: proto.string("reason"))
        case "step_replayed": self = .stepReplayed(step: stepID, by: proto.string("requested_by"))
        case "succeeded": self = .succeeded(output: proto.json("data"))
        case "failed":
            self = .failed(code: proto.string("code"), reason: proto.string("reason"), step: stepID.isEmpty ? nil : stepID)
        case "cancelled": self = .cancelled(reason: proto.string("reason"))
        case "timed_out": self = .timedOut
        default: return nil
        }
    }
}

extension Usage {
    public var proto: ProtoMessage {
        ProtoMessage("agion.v1.Usage", ["input_tokens": .int(inputTokens), "output_tokens": .int(outputTokens), "cost_usd": .double(costUSD)])
    }

    public init(proto: ProtoMessage?) {
        self.init(inputTokens: proto?.int("input_tokens") ?? 0, outputTokens: proto?.int("output_tokens") ?? 0, costUSD: proto?.double("cost_usd") ?? 0)
    }
}

extension StepError {
    public init(proto: ProtoMessage?, defaultCode: String = "") {
        let code = proto?.string("code") ?? ""
        self.init(code: code.isEmpty ? defaultCode : code, message: proto?.string("message") ?? "", retriable: proto?.bool("retriable") ?? false,
                  platform: proto?.bool("platform") ?? false)
    }

    public func proto(attempt: Int, agent: AgentID?) -> ProtoMessage {
        ProtoMessage("agion.v1.StepError", ["attempt": .uint(UInt64(attempt)), "agent_id": .string(agent?.description ?? ""), "code": .string(code),
                                            "message": .string(message), "retriable": .bool(retriable), "platform": .bool(platform)])
    }
}
