import AgionContract
import AgionEnvelope
import MissionsCore

/// What a decision's events mean outside the mission's own row: each event
/// published on AGION_MISSIONS, each scheduled step as work on AGION_STEPS,
/// and the timers to set or clear. Written in the transaction that appends
/// the events (the outbox publishes after the commit).
enum MissionEffects {
    static func write(_ events: [MissionEvent], before: MissionState?, after: MissionState, book: AgentBook, tenant: String,
                      cause: Envelope?) -> MissionStore.Write {
        var write = MissionStore.Write(events: [], messages: [], timers: [], clearedTimers: [], clearAllTimers: false)
        var position = before?.position ?? 0
        let now = after.updatedAtUnixNanos
        for event in events {
            position += 1
            let payload = (try? ProtoSchema.encode(event.proto(mission: after.id, position: position, at: now))) ?? []
            var envelope = cause?.caused(type: CoordinationSubjects.eventType(event.name), payload: payload)
                ?? Envelope(type: CoordinationSubjects.eventType(event.name), tenant: tenant, payload: payload)
            envelope.tenant = tenant
            envelope.occurredAtUnixNanos = now
            write.events.append((event, envelope))
            switch event {
            case .submitted(let submitted):
                if let deadline = submitted.deadlineUnixNanos { write.timers.append(("deadline", deadline)) }
            case .stepScheduled(let scheduled):
                write.clearedTimers.append("retry:" + scheduled.step)
                // Queued, not sent: the dispatcher hands it to execution fairly (StepDispatcher).
                let candidate = book.byID[scheduled.agent] ?? book.byCapability.values.joined().first { $0.id == scheduled.agent }
                write.queued.append(.init(step: scheduled.step, attempt: scheduled.attempt, agent: scheduled.agent.description,
                                          agentLimit: candidate?.maxConcurrency ?? 0, timeoutSeconds: scheduled.timeoutSeconds,
                                          work: work(scheduled, state: after, book: book, tenant: tenant, cause: envelope)))
            case .stepSucceeded(let success):
                write.released.append((success.step, success.attempt))
            case .stepFailed(let failure) where failure.agent != nil && !failure.final:
                write.released.append((failure.step, failure.attempt))
            case .stepCancelled(let step, _):
                write.releasedSteps.append(step)
            case .stepRetryScheduled(let step, _, let at):
                write.timers.append(("retry:" + step, at))
            case .stepFailed(let failure) where failure.final:
                write.released.append((failure.step, failure.attempt))
                let entry = deadStep(failure, state: after, at: now)
                let bytes = (try? ProtoSchema.encode(entry)) ?? []
                write.deadSteps.append((failure.step, failure.attempt, bytes))
                var letter = envelope.caused(type: CoordinationSubjects.deadStepType, payload: bytes)
                letter.tenant = tenant
                write.messages.append((letter, CoordinationSubjects.deadStepSubject(tenant: tenant)))
            case .approval(let change, let approval):
                write.approvals.append(approval)
                if change == .requested, approval.source == .policy { write.released.append((approval.step, approval.attempt)) }
                switch change {
                case .requested, .escalated: write.timers.append((Approval.timerKind(step: approval.step), approval.expiresAtUnixNanos))
                case .approved, .rejected, .expired, .cancelled: write.clearedTimers.append(Approval.timerKind(step: approval.step))
                }
            case .stepReplayed(let step, let by):
                write.replayed = ((write.replayed?.steps ?? []) + [step], by)
                // The failure cleared every timer: the deadline holds again.
                if let deadline = after.deadlineUnixNanos, !write.timers.contains(where: { $0.kind == "deadline" }) {
                    write.timers.append(("deadline", deadline))
                }
            case .succeeded, .failed, .cancelled, .timedOut:
                write.clearAllTimers = true
                write.timers = []
                write.releaseAll = true
            default:
                break
            }
        }
        return write
    }

    /// The work for one attempt: everything execution needs, so it asks nobody
    /// but governance and the agent.
    static func work(_ scheduled: MissionEvent.StepScheduled, state: MissionState, book: AgentBook, tenant: String, cause: Envelope) -> Envelope {
        let candidate = book.byID[scheduled.agent] ?? book.byCapability.values.joined().first { $0.id == scheduled.agent }
        var fields: [String: ProtoValue] = [
            "mission_id": .string(state.id), "step_id": .string(scheduled.step), "attempt": .uint(UInt64(scheduled.attempt)),
            "agent_id": .string(scheduled.agent.description), "action": .string(scheduled.action), "input": .message(scheduled.input.valueProto),
            "timeout_seconds": .uint(UInt64(scheduled.timeoutSeconds)), "idempotency_key": .string(idempotencyKey(mission: state.id, step: scheduled.step)),
            "principal": .string(state.definition.principal), "mission_name": .string(state.definition.name),
            "deadline_unix_nanos": .int(state.deadlineUnixNanos ?? 0),
        ]
        if let endpoint = candidate?.endpoint { fields["endpoint"] = .message(endpoint.proto) }
        if let id = scheduled.approval, let approval = state.steps[scheduled.step]?.approval, approval.id == id {
            fields["approval_id"] = .string(id)
            fields["approval_digest"] = .string(approval.digest)
        }
        if case .capability(let capability) = state.definition(of: scheduled.step).target { fields["capability"] = .string(capability) }
        let payload = (try? ProtoSchema.encode(ProtoMessage("agion.v1.StepWork", fields))) ?? []
        // Stored in the outbox with its id: a row published twice (the relay
        // died before deleting it) has one id, and the work queue keeps one copy.
        return cause.caused(type: ExecutionSubjects.workType, payload: payload)
    }

    /// What an operator sees of a step that failed for good: its input as its
    /// attempts got it (rendered again from the same outputs), the agent, and
    /// every error.
    static func deadStep(_ failure: MissionEvent.StepFailed, state: MissionState, at now: Int64) -> ProtoMessage {
        let definition = state.definition(of: failure.step)
        let outputs = state.steps.compactMapValues { $0.status == .succeeded ? $0.output : nil }
        let input = (try? InputTemplate.render(definition.input, input: state.definition.input, outputs: outputs)) ?? .null
        let step = state.steps[failure.step]
        return ProtoMessage("agion.v1.DeadStep", [
            "mission_id": .string(state.id), "mission_name": .string(state.definition.name), "step_id": .string(failure.step),
            "attempt": .uint(UInt64(failure.attempt)), "agent_id": .string((failure.agent ?? step?.agent)?.description ?? ""),
            "action": .string(definition.action), "input": .message(input.valueProto),
            "errors": .list((step?.errors ?? []).map { .message($0.error.proto(attempt: $0.attempt, agent: $0.agent)) }),
            "dead_at_unix_nanos": .int(now),
        ])
    }

    /// The same for every attempt of a step: an agent that remembers it applies the step once.
    static func idempotencyKey(mission: String, step: String) -> String { "\(mission)/\(step)" }
}
