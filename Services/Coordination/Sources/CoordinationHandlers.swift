import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation
import MissionsCore

/// Coordination's RPC methods: submit, read, cancel and replay missions, and
/// list dead steps (the gateway maps `/v1/missions` and `/v1/dlq` onto them).
struct CoordinationHandlers: Sendable {
    let runner: MissionRunner
    let store: MissionStore

    var methods: [RPCService.Method] {
        [
            .message(CoordinationSubjects.submit, request: "agion.v1.SubmitMissionRequest") { request, context in
                guard let definition = request.message("definition") else {
                    throw ErrorReply(code: .invalidArgument, message: "the mission's definition is missing", field: "definition")
                }
                let parsed: MissionDefinition
                do throws(DefinitionError) { parsed = try MissionDefinition.parse(proto: definition, nowUnixNanos: Envelope.nowUnixNanos()) } catch {
                    throw ErrorReply(code: .invalidArgument, message: error.reason, field: error.field)
                }
                let key = request.string("idempotency_key")
                guard key.utf8.count <= 256, !key.unicodeScalars.contains(where: { $0.value < 32 }) else {
                    throw ErrorReply(code: .invalidArgument, message: "at most 256 bytes, no control characters", field: "idempotency_key")
                }
                return try await runner.submit(parsed, idempotencyKey: key, tenant: context.tenant.value,
                                               submittedBy: context.envelope.headers["agion-subject"] ?? "", cause: context.envelope).view
            },
            .message(CoordinationSubjects.get, request: "agion.v1.GetMissionRequest") { request, context in
                try await mission(request, context).view
            },
            .message(CoordinationSubjects.list, request: "agion.v1.ListMissionsRequest") { request, context in
                try await store.list(request, tenant: context.tenant.value)
            },
            .message(CoordinationSubjects.events, request: "agion.v1.MissionEventsRequest") { request, context in
                let id = try Self.missionID(request)
                let limit = min(max(Int(request.int("limit")), 0), 1_000)
                guard let (events, last) = try await store.events(id, tenant: context.tenant.value, after: max(request.int("after_position"), 0),
                                                                  limit: limit == 0 ? 1_000 : limit) else { throw Self.notFound(id) }
                return ProtoMessage("agion.v1.MissionEventsResponse", ["events": .list(events.map { .message($0) }), "last_position": .int(last)])
            },
            .message(CoordinationSubjects.cancel, request: "agion.v1.CancelMissionRequest") { request, context in
                let id = try Self.missionID(request)
                let reason = request.string("reason")
                guard reason.utf8.count <= 1_024 else { throw ErrorReply(code: .invalidArgument, message: "at most 1024 bytes", field: "reason") }
                let by = context.envelope.headers["agion-subject"] ?? "unknown"
                guard let state = try await runner.handle(.cancel(by: by, reason: reason), mission: id, tenant: context.tenant.value,
                                                          cause: context.envelope) else { throw Self.notFound(id) }
                guard state.status == .cancelled else {
                    throw ErrorReply(code: .failedPrecondition, message: "mission \(state.id) already \(state.status.rawValue)", field: "mission_id")
                }
                return state.view
            },
            .message(CoordinationSubjects.replay, request: "agion.v1.ReplayMissionRequest") { request, context in
                try await replay(request, context).view
            },
            .message(CoordinationSubjects.deadSteps, request: "agion.v1.ListDeadStepsRequest") { request, context in
                try await store.deadSteps(request, tenant: context.tenant.value)
            },
            .message(CoordinationSubjects.listApprovals, request: "agion.v1.ListApprovalsRequest") { request, context in
                try await store.approvals(request, tenant: context.tenant.value, approver: Self.approver(context))
            },
            .message(CoordinationSubjects.getApproval, request: "agion.v1.GetApprovalRequest") { request, context in
                let id = try Self.approvalID(request)
                guard let approval = try await store.approval(id, tenant: context.tenant.value) else { throw Self.approvalNotFound(id) }
                return approval
            },
            .message(CoordinationSubjects.decideApproval, request: "agion.v1.DecideApprovalRequest") { request, context in
                try await decide(request, context)
            },
        ]
    }

    /// Approves or rejects a request; one that cannot be decided is refused
    /// naming why (not found, not this approver's, already decided, other input).
    private func decide(_ request: ProtoMessage, _ context: RequestContext) async throws -> ProtoMessage {
        let id = try Self.approvalID(request)
        let comment = request.string("comment")
        guard comment.utf8.count <= 4_096 else { throw ErrorReply(code: .invalidArgument, message: "at most 4096 bytes", field: "comment") }
        let tenant = context.tenant.value
        guard let (mission, step) = try await store.approvalLocation(id, tenant: tenant) else { throw Self.approvalNotFound(id) }
        let digest = request.string("input_digest")
        let decision = ApprovalDecision(approvalID: id.lowercasedString, step: step, approve: request.bool("approve"), approver: Self.approver(context),
                                        comment: comment, digest: digest.isEmpty ? nil : digest)
        guard let (state, events) = try await runner.decide(.decideApproval(decision), mission: mission, tenant: tenant, cause: context.envelope) else {
            throw Self.approvalNotFound(id)
        }
        if events.isEmpty {
            // Refused on the state it was decided on: say why.
            let refusal = MissionDecider.approvalRefusal(decision, state: state)
                ?? ApprovalRefusal(kind: .conflict, field: "approval_id", reason: "the request changed while it was decided; look at it again")
            let code: ErrorReply.Code = switch refusal.kind {
            case .notFound: .notFound
            case .forbidden: .permissionDenied
            case .conflict: .failedPrecondition
            }
            throw ErrorReply(code: code, message: refusal.reason, field: refusal.field)
        }
        guard let approval = try await store.approval(id, tenant: tenant) else { throw Self.approvalNotFound(id) }
        return approval
    }

    /// The caller as the gateway vouches for it (`agion-subject`,
    /// `agion-role`, `agion-groups`); a caller without a role decides nothing.
    static func approver(_ context: RequestContext) -> Approver {
        let headers = context.envelope.headers
        let groups = (headers["agion-groups"] ?? "").split(separator: ",").map(String.init).filter(GroupName.isValid)
        return Approver(subject: headers["agion-subject"] ?? "", role: headers["agion-role"] ?? "", groups: groups)
    }

    static func approvalID(_ request: ProtoMessage) throws -> UUID {
        guard let id = UUID(uuidString: request.string("approval_id")) else {
            throw ErrorReply(code: .invalidArgument, message: "an approval id is a UUID", field: "approval_id")
        }
        return id
    }

    static func approvalNotFound(_ id: UUID) -> ErrorReply {
        ErrorReply(code: .notFound, message: "no approval request \(id.lowercasedString) in this tenant", field: "approval_id")
    }

    /// Resumes a failed mission; a replay that cannot be done is
    /// `failed_precondition` with the reason and the field at fault.
    private func replay(_ request: ProtoMessage, _ context: RequestContext) async throws -> MissionState {
        let id = try Self.missionID(request)
        let steps = request.list("step_ids").compactMap(\.string)
        guard steps.count <= DefinitionLimits.steps else {
            throw ErrorReply(code: .invalidArgument, message: "at most \(DefinitionLimits.steps) steps", field: "step_ids")
        }
        let by = context.envelope.headers["agion-subject"] ?? "unknown"
        guard let (state, events) = try await runner.decide(.replay(steps: steps, by: by), mission: id, tenant: context.tenant.value,
                                                            cause: context.envelope) else { throw Self.notFound(id) }
        guard !events.isEmpty else {
            // Refused on the state it was decided on: say why.
            if case .failure(let refusal) = MissionDecider.replayTargets(steps, state: state, now: runner.clock.now(tenant: context.tenant.value)) {
                throw ErrorReply(code: .failedPrecondition, message: refusal.reason, field: refusal.field)
            }
            throw ErrorReply(code: .failedPrecondition, message: "the mission changed while it was replayed; look at it again", field: "mission_id")
        }
        return state
    }

    private func mission(_ request: ProtoMessage, _ context: RequestContext) async throws -> MissionState {
        let id = try Self.missionID(request)
        guard let state = try await store.load(id, tenant: context.tenant.value) else { throw Self.notFound(id) }
        return state
    }

    static func missionID(_ request: ProtoMessage) throws -> UUID {
        guard let id = UUID(uuidString: request.string("mission_id")) else {
            throw ErrorReply(code: .invalidArgument, message: "a mission id is a UUID", field: "mission_id")
        }
        return id
    }

    static func notFound(_ id: UUID) -> ErrorReply {
        ErrorReply(code: .notFound, message: "no mission \(id.lowercasedString) in this tenant", field: "mission_id")
    }
}
