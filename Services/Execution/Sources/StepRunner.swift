import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import Logging
import Metrics
import MissionsCore

/// Runs one attempt of one step (a work message from AGION_STEPS): asks
/// governance, invokes the agent, has governance validate the output, reports
/// the outcome for trust, and records the end with its `attempt_finished`
/// report. The work message is acked only after that record commits, so a
/// replica that dies mid-attempt loses nothing (the work comes back) and one
/// that dies after it does not run the attempt twice.
struct StepRunner: Sendable {
    let bus: Bus
    let invoker: AgentInvoker
    let outputs: StepOutputs
    let log: AttemptLog
    let running: RunningAttempts
    let governanceTimeout: Duration
    let startedReportDelay: Duration
    let logger: Logger
    private let attempts = Counter(label: "agion_execution_attempts_total")

    init(bus: Bus, invoker: AgentInvoker, outputs: StepOutputs, log: AttemptLog, running: RunningAttempts, governanceTimeout: Duration,
         startedReportDelay: Duration = .milliseconds(250), logger: Logger) {
        self.bus = bus
        self.invoker = invoker
        self.outputs = outputs
        self.log = log
        self.running = running
        self.governanceTimeout = governanceTimeout
        self.startedReportDelay = startedReportDelay
        self.logger = logger
    }

    /// The handler of the work consumer: returns once the attempt's end is recorded.
    func run(_ envelope: Envelope, delivery: Delivery) async throws {
        let work = try StepWork(envelope)
        // A redelivery may be of an attempt that ended (the replica died
        // between its record and the ack): answered from the log. A first
        // delivery has not run (the outbox's duplicates are dropped by
        // JetStream's Nats-Msg-Id window), so it skips the read.
        if delivery.deliveryCount > 1, try await log.ended(mission: work.missionUUID, step: work.step, attempt: work.attempt) { return }
        attempts.increment()
        // Long agents: report the start once the attempt has run a while, and
        // keep the work message's lease while it runs.
        let watch = Task { [startedReportDelay] in
            guard (try? await Task.sleep(for: startedReportDelay)) != nil else { return }
            publishStarted(work, cause: envelope)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                try? delivery.inProgress()
            }
        }
        defer { watch.cancel() }
        let started = ContinuousClock.now
        let outcome = await withAttemptTask(mission: work.mission) { await self.attempt(work, cause: envelope) }
        let latency = (ContinuousClock.now - started) / .milliseconds(1)
        try await record(outcome, work: work, latencyMillis: latency, cause: envelope)
    }

    /// Runs `body` so that a cancellation broadcast for the mission stops it.
    private func withAttemptTask(mission: String, _ body: @escaping @Sendable () async -> AttemptOutcome.Result) async -> AttemptOutcome.Result {
        let result = ResultBox()
        await running.run(mission: mission) { result.value = await body() }
        return result.value ?? .failed(StepError(code: "cancelled", message: "the mission ended", retriable: false), usage: .zero)
    }

    /// Check, invoke, validate, report: what happened to the attempt.
    func attempt(_ work: StepWork, cause: Envelope) async -> AttemptOutcome.Result {
        let decision: Decision
        do {
            decision = try await bus.call(GovernanceSubjects.check, CheckRequest(agentID: work.agent, action: work.action, context: work.checkContext,
                                                                                 principal: work.principal.isEmpty ? nil : work.principal),
                                          tenant: cause.tenant, as: Decision.self, timeout: governanceTimeout)
        } catch let error as BusError where error.code == .remote && error.remote?.retriable == false {
            // Governance answered, and no retry changes its answer: a tenant
            // without a policy is denied everything; a check it refuses is a
            // step that cannot be checked.
            let refused = error.remote!
            return .failed(StepError(code: refused.code == .unknownTenant ? "denied" : "check_refused", message: refused.message, retriable: false),
                           usage: .zero)
        } catch {
            return .failed(Self.platformFailure("governance_unavailable", "the governance check failed: \(error)"), usage: .zero)
        }
        switch decision.effect {
        case .deny where decision.failClosed:
            // Governance could not decide (a store of its own was down): not
            // the agent's doing, and the same check may pass once it is back.
            return .failed(Self.platformFailure("governance_unavailable", decision.reasons.joined(separator: "; ")), usage: .zero)
        case .deny:
            return .failed(StepError(code: "denied", message: decision.reasons.joined(separator: "; "), retriable: false), usage: .zero)
        case .requireApproval where work.isApproved:
            // A person approved exactly this run (coordination recorded it
            // before sending the work): governance's condition is met.
            break
        case .requireApproval:
            // Who must approve: the matching rule's `approval:` (first one).
            let requirement = decision.obligations.first { $0.kind == "approval" }
                .map { ApprovalRequirement(obligationParameters: $0.parameters) } ?? ApprovalRequirement()
            return .awaitingApproval(reasons: decision.reasons, requirement: requirement)
        case .allow:
            break
        }
        guard let endpoint = work.endpoint else {
            return .failed(StepError(code: "unreachable", message: "the registry gave no endpoint for \(work.agent)", retriable: true), usage: .zero)
        }
        // Stored outputs the input names, read only now that the check passed.
        let input: JSONValue
        switch await outputs.resolve(work.input, tenant: cause.tenant, mission: work.mission) {
        case .ready(let resolved): input = resolved
        case .failed(let error): return .failed(error, usage: .zero)
        }
        let invocation = AgentInvoker.Invocation(agent: work.agent, endpoint: endpoint, input: input, context: work.agentContext(decision: decision),
                                                 idempotencyKey: work.idempotencyKey, attempt: work.attempt, timeout: work.timeout,
                                                 traceparent: cause.traceparent,
                                                 live: .init(tenant: cause.tenant, mission: work.mission, step: work.step, attempt: work.attempt,
                                                             agent: work.agent))
        let started = ContinuousClock.now
        let answer = await invoker.invoke(invocation)
        let latency = (ContinuousClock.now - started) / .milliseconds(1)
        switch answer {
        case .failure(let error):
            if error.code != "cancelled" {
                await report(work, outcome: error.code == "timeout" ? .timeout : .failure, latency: latency, tenant: cause.tenant)
            }
            return .failed(error, usage: .zero)
        case .output(let output, let usage):
            let kept: (value: JSONValue, stored: OutputReference?)
            switch await outputs.keep(Obligations.apply(decision.obligations, to: output), tenant: cause.tenant, mission: work.mission) {
            case .ready(let value): kept = value
            case .failed(let error): return .failed(error, usage: usage)
            }
            let validated: ValidationResult
            do {
                // Also the attempt's report for trust (success if the output
                // passes, failure if not): one call, one trust update. A stored
                // output goes by reference; governance reads it if a rule applies.
                let stored = kept.stored.map { ValidateOutputRequest.StoredOutput(missionID: work.mission, digest: $0.digest, size: $0.size) }
                validated = try await bus.call(GovernanceSubjects.validate, ValidateOutputRequest(
                    agentID: work.agent, action: work.action, output: stored == nil ? kept.value.serializedString : "", contentType: "application/json",
                    capability: work.capability, executionID: work.executionID, execution: .init(latencyMillis: latency), stored: stored),
                    tenant: cause.tenant, as: ValidationResult.self, timeout: governanceTimeout)
            } catch let error as BusError where error.code == .remote && error.remote?.retriable == false {
                return .failed(StepError(code: "invalid_output", message: "governance refused the output: \(error.remote!.message)", retriable: false),
                               usage: usage)
            } catch {
                return .failed(Self.platformFailure("governance_unavailable", "the output could not be validated: \(error)"), usage: usage)
            }
            guard validated.passed else {
                let reasons = validated.violations.map { "\($0.ruleID): \($0.message)" }.joined(separator: "; ")
                return .failed(StepError(code: "invalid_output", message: reasons, retriable: false), usage: usage)
            }
            return .succeeded(output: kept.value, usage: usage)
        }
    }

    /// A failure of Agion's own (governance out of reach): retried without
    /// using up one of the step's attempts, unless the attempt was stopped.
    static func platformFailure(_ code: String, _ message: String) -> StepError {
        if Task.isCancelled { return StepError(code: "cancelled", message: "the attempt was stopped", retriable: false) }
        return StepError(code: code, message: message, retriable: true, platform: true)
    }

    /// Trust evidence for governance; a lost report costs evidence, not the step.
    private func report(_ work: StepWork, outcome: ExecutionReport.Outcome, latency: Double, tenant: String) async {
        do {
            _ = try await bus.call(GovernanceSubjects.report, ExecutionReport(agentID: work.agent, capability: work.capability, outcome: outcome,
                                                                            latencyMillis: latency, executionID: work.executionID),
                                   tenant: tenant, as: TrustScore.self, timeout: governanceTimeout)
        } catch {
            logger.warning("execution.report_failed", metadata: ["agent.id": "\(work.agent)", "error": "\(error)"])
        }
    }

    private func publishStarted(_ work: StepWork, cause: Envelope) {
        let payload = (try? ProtoSchema.encode(ProtoMessage("agion.v1.AttemptStarted", [
            "mission_id": .string(work.mission), "step_id": .string(work.step), "attempt": .uint(UInt64(work.attempt)),
            "agent_id": .string(work.agent.description),
            "deadline_unix_nanos": .int(Envelope.nowUnixNanos() + Int64(work.timeout / .nanoseconds(1))),
        ]))) ?? []
        let event = cause.caused(type: ExecutionSubjects.EventType.attemptStarted, payload: payload)
        let subject = ExecutionSubjects.eventSubject(tenant: cause.tenant, event: "attempt_started")
        // Not waited for: the step's state says "running" a moment later or not
        // at all, and its end is reported durably either way.
        Task { [bus, logger] in
            do { _ = try await bus.jetStream.publishAsync(subject, event) } catch {
                logger.debug("execution.started_not_published", metadata: ["error": "\(error)"])
            }
        }
    }

    private func record(_ outcome: AttemptOutcome.Result, work: StepWork, latencyMillis: Double, cause: Envelope) async throws {
        var fields: [String: ProtoValue] = [
            "mission_id": .string(work.mission), "step_id": .string(work.step), "attempt": .uint(UInt64(work.attempt)),
            "agent_id": .string(work.agent.description), "latency_ms": .double(latencyMillis),
        ]
        var ended = AttemptLog.Ended(result: "succeeded", error: nil, usage: .zero, latencyMillis: latencyMillis)
        switch outcome {
        case .succeeded(let output, let usage):
            fields["result"] = .enumValue(1)
            fields["output"] = .message(output.valueProto)
            fields["usage"] = .message(usage.proto)
            ended.usage = usage
        case .failed(let error, let usage):
            fields["result"] = .enumValue(2)
            fields["error"] = .message(error.proto(attempt: work.attempt, agent: work.agent))
            fields["usage"] = .message(usage.proto)
            ended = AttemptLog.Ended(result: "failed", error: error, usage: usage, latencyMillis: latencyMillis)
        case .awaitingApproval(let reasons, let requirement):
            fields["result"] = .enumValue(3)
            fields["approval_reasons"] = .list(reasons.map { .string($0) })
            fields["approval"] = .message(requirement.proto())
            ended.result = "awaiting_approval"
        }
        var report = cause.caused(type: ExecutionSubjects.EventType.attemptFinished, payload: try ProtoSchema.encode(ProtoMessage("agion.v1.AttemptFinished", fields)))
        report.tenant = cause.tenant
        try await log.record(tenant: cause.tenant, mission: work.missionUUID, step: work.step, attempt: work.attempt, agent: work.agent,
                             ended: ended, report: report)
    }
}

/// The result of a task run for its side effect.
private final class ResultBox: @unchecked Sendable {
    // @unchecked: written by the one task that runs the attempt, read after it ended.
    var value: AttemptOutcome.Result?
}
