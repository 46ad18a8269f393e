import AgionContract
import AgionEnvelope
import AgionJSON

/// The projection as clients read it: `agion.v1.Mission`, `agion.v1.MissionSummary`.
extension MissionState {
    public var view: ProtoMessage {
        var fields: [String: ProtoValue] = [
            "mission_id": .string(id), "name": .string(definition.name), "status": .enumValue(status.protoValue),
            "principal": .string(definition.principal), "idempotency_key": .string(idempotencyKey),
            "submitted_at_unix_nanos": .int(submittedAtUnixNanos), "updated_at_unix_nanos": .int(updatedAtUnixNanos),
            "deadline_unix_nanos": .int(deadlineUnixNanos ?? 0), "usage": .message(usage.proto), "input": .message(definition.input.valueProto),
            "steps": .list(definition.steps.map { .message(stepView($0)) }), "position": .int(position),
        ]
        if let budget = definition.budget {
            fields["budget"] = .message(ProtoMessage("agion.v1.MissionBudget", ["max_tokens": .int(budget.maxTokens ?? 0),
                                                                                "max_cost_usd": .double(budget.maxCostUSD ?? 0)]))
        }
        if let output { fields["output"] = .message(output.valueProto) }
        if let outcome {
            fields["outcome_code"] = .string(outcome.code)
            fields["outcome_reason"] = .string(outcome.reason)
            fields["outcome_step"] = .string(outcome.step ?? "")
        }
        return ProtoMessage("agion.v1.Mission", fields)
    }

    private func stepView(_ definition: StepDefinition) -> ProtoMessage {
        let step = steps[definition.id]!
        var fields: [String: ProtoValue] = [
            "id": .string(definition.id), "status": .enumValue(step.status.protoValue), "action": .string(definition.action),
            "depends_on": .list(definition.dependsOn.map { .string($0) }), "attempt": .uint(UInt64(step.attempt)), "usage": .message(step.usage.proto),
            "errors": .list(step.errors.map { .message($0.error.proto(attempt: $0.attempt, agent: $0.agent)) }),
            "approval_reasons": .list(step.approvalReasons.map { .string($0) }),
            "retry_at_unix_nanos": .int(step.retryAtUnixNanos ?? 0), "finished_at_unix_nanos": .int(step.finishedAtUnixNanos ?? 0),
        ]
        switch definition.target {
        case .capability(let capability): fields["capability"] = .string(capability)
        case .agent: break
        }
        if let agent = step.agent ?? { if case .agent(let id) = definition.target { id } else { nil } }() {
            fields["agent_id"] = .string(agent.description)
        }
        if let output = step.output { fields["output"] = .message(output.valueProto) }
        if let approval = step.approval { fields["approval"] = .message(approval.proto(mission: id, missionName: self.definition.name)) }
        return ProtoMessage("agion.v1.MissionStep", fields)
    }

    public var summary: ProtoMessage {
        ProtoMessage("agion.v1.MissionSummary", [
            "mission_id": .string(id), "name": .string(definition.name), "status": .enumValue(status.protoValue),
            "submitted_at_unix_nanos": .int(submittedAtUnixNanos), "updated_at_unix_nanos": .int(updatedAtUnixNanos),
            "usage": .message(usage.proto), "step_count": .uint(UInt64(definition.steps.count)), "outcome_code": .string(outcome?.code ?? ""),
        ])
    }
}

extension MissionState.Status {
    /// `agion.v1.MissionStatus`.
    public var protoValue: Int32 {
        switch self {
        case .running: 1
        case .succeeded: 2
        case .failed: 3
        case .cancelled: 4
        case .timedOut: 5
        }
    }

    public init?(protoValue: Int64) {
        guard let status = Self.allCases.first(where: { Int64($0.protoValue) == protoValue }) else { return nil }
        self = status
    }
}

extension StepState.Status {
    /// `agion.v1.StepStatus`.
    public var protoValue: Int32 { Int32(Self.allCases.firstIndex(of: self)! + 1) }
}
