import AgionBus
import AgionContract
import AgionCoordination
import AgionEnvelope
import AgionJSON
import Foundation
import MissionsCore
import Testing

/// Human approvals against the real services (two coordination and two
/// execution replicas): nothing runs before a recorded approval of exactly
/// what runs; who may decide; expiry and escalation on a clock the test
/// moves (the tenant's own, so no test waits an hour).
@Suite(.serialized, .timeLimit(.minutes(4)), .needsGovernance) struct ApprovalServiceTests {
    static let bob = ["agion-subject": "key:bob", "agion-role": "operator"]
    static let alice = ["agion-subject": "key:alice", "agion-role": "approver", "agion-groups": "finance"]
    static let carol = ["agion-subject": "key:carol", "agion-role": "approver", "agion-groups": "cfo,board"]

    static let payment = """
        {"name": "payout", "input": {"amount": 120},
         "steps": [{"id": "pay", "agent_id": "pay:agent", "action": "pay.run", "input": {"amount": {"$ref": "input.amount"}},
                    "approval": {"groups": ["finance"]}},
                   {"id": "notify", "agent_id": "pay:agent", "action": "pay.notify", "depends_on": ["pay"]}]}
        """

    @Test func aStepThatRequiresApprovalRunsOnlyAfterItAndOnlyWithTheInputApproved() async throws {
        let tenant = try await MissionTenant(agents: ["pay:agent": .echo()])
        let id = try await tenant.submitAs(Self.payment, headers: Self.bob).string("mission_id")
        let approval = try await tenant.pendingApproval(id, step: "pay")
        #expect(approval.string("source") == "step" && approval.string("requested_by") == "key:bob" && approval.string("mission_name") == "payout")
        #expect(approval.json("input") == ["amount": 120] && approval.list("groups").compactMap(\.string) == ["finance"])
        #expect(approval.string("input_digest") == Approval.digest(agent: try AgentID("pay:agent"), action: "pay.run", input: ["amount": 120]))

        // The pending list for an approver of finance has it; for the submitter it has nothing.
        let mine = try await tenant.request(CoordinationSubjects.listApprovals, ProtoMessage("agion.v1.ListApprovalsRequest", ["mine": .bool(true)]),
                                            headers: Self.alice)
        #expect(mine.list("approvals").compactMap { $0.message?.string("approval_id") } == [approval.string("approval_id")])
        let bobs = try await tenant.request(CoordinationSubjects.listApprovals, ProtoMessage("agion.v1.ListApprovalsRequest", ["mine": .bool(true)]),
                                            headers: ["agion-subject": "key:bob", "agion-role": "admin", "agion-groups": "finance"])
        #expect(bobs.list("approvals").isEmpty, "nobody approves their own mission")

        // Nothing ran while it waited.
        try await Task.sleep(for: .milliseconds(300))
        #expect(tenant.agents.invocations.isEmpty)

        // Refused: the submitter, an approver outside the group, and an approval of other input.
        let approvalID = approval.string("approval_id")
        await #expect(throws: BusError.self) { try await tenant.decide(approvalID, approve: true, headers: Self.bob) }
        #expect(try await tenant.decisionError(approvalID, headers: ["agion-subject": "key:bob", "agion-role": "admin", "agion-groups": "finance"])
                == .permissionDenied)
        #expect(try await tenant.decisionError(approvalID, headers: Self.carol) == .permissionDenied)
        #expect(try await tenant.decisionError(approvalID, digest: "sha256:" + String(repeating: "0", count: 64), headers: Self.alice)
                == .failedPrecondition)
        #expect(tenant.agents.invocations.isEmpty)

        // Approved with the digest the approver saw: the step runs once, with that input.
        let approved = try await tenant.decide(approvalID, approve: true, comment: "within limits", digest: approval.string("input_digest"),
                                               headers: Self.alice)
        #expect(approved.string("status") == "approved" && approved.string("decided_by") == "key:alice" && approved.string("comment") == "within limits")
        let mission = try await tenant.final(id)
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")
        #expect(tenant.agents.invocations.filter { $0.input == ["amount": 120] }.count == 1)
        // Approving twice is refused, naming the decision.
        #expect(try await tenant.decisionError(approvalID, headers: Self.alice) == .failedPrecondition)
        let names = try await tenant.events(id).map { $0.string("name") }
        #expect(names.starts(with: ["submitted", "approval_requested", "approval_approved", "step_scheduled"]), "\(names)")
        let listed = try await tenant.request(CoordinationSubjects.listApprovals, ProtoMessage("agion.v1.ListApprovalsRequest", [
            "mission_id": .string(id), "status": .string("approved")]), headers: Self.alice)
        #expect(listed.list("approvals").count == 1)
    }

    @Test func aPolicysRequireApprovalEscalatesOnceAndThenExpiresOnTheTestsClock() async throws {
        let tenant = try await MissionTenant(agents: ["big:agent": .echo()], policy: """
            rules:
              - {id: all, effect: allow}
              - {id: big, effect: require_approval, actions: [big.run], approval: {groups: [finance], timeout_seconds: 600, escalate_to: [cfo]}}
            """)
        let id = try await tenant.submitAs(#"{"steps": [{"id": "s", "agent_id": "big:agent", "action": "big.run", "input": {"rows": 50000}}]}"#,
                                           headers: Self.bob).string("mission_id")
        let approval = try await tenant.pendingApproval(id, step: "s")
        #expect(approval.string("source") == "policy" && approval.list("groups").compactMap(\.string) == ["finance"])
        #expect(approval.list("reasons").compactMap(\.string).contains { $0.contains("big") })
        #expect(tenant.agents.invocations.isEmpty)

        MissionsCluster.clock.advance(tenant: tenant.name, by: .seconds(601))
        try await eventually("the request escalates to the CFO") {
            try await tenant.approval(approval.string("approval_id")).bool("escalated")
        }
        let escalated = try await tenant.approval(approval.string("approval_id"))
        #expect(escalated.list("groups").compactMap(\.string) == ["cfo"] && escalated.string("status") == "pending")
        #expect(try await tenant.decisionError(approval.string("approval_id"), headers: Self.alice) == .permissionDenied)

        MissionsCluster.clock.advance(tenant: tenant.name, by: .seconds(601))
        let mission = try await tenant.final(id)
        #expect(MissionTenant.status(mission) == "failed")
        #expect(MissionTenant.step(mission, "s")?.list("errors").last?.message?.string("code") == "approval_expired")
        #expect(try await tenant.approval(approval.string("approval_id")).string("status") == "expired")
        #expect(tenant.agents.invocations.isEmpty, "nothing ran without an approval")
        let names = try await tenant.events(id).map { $0.string("name") }
        #expect(names.contains("approval_escalated") && names.contains("approval_expired"), "\(names)")
    }

    @Test func anApprovedPolicyRequestRunsTheAgentOnceAndARejectionFailsTheStep() async throws {
        let tenant = try await MissionTenant(agents: ["big:agent": .echo()], policy: """
            rules:
              - {id: all, effect: allow}
              - {id: big, effect: require_approval, actions: [big.run]}
            """)
        let approvedID = try await tenant.submitAs(#"{"steps": [{"id": "s", "agent_id": "big:agent", "action": "big.run"}]}"#, headers: Self.bob)
            .string("mission_id")
        let first = try await tenant.pendingApproval(approvedID, step: "s")
        _ = try await tenant.decide(first.string("approval_id"), approve: true, headers: Self.carol)
        let done = try await tenant.final(approvedID)
        #expect(MissionTenant.status(done) == "succeeded", "\(done)")
        #expect(tenant.agents.invocations.count == 1)
        // The approval took no attempt away: the run was attempt 2, the first waited.
        #expect(MissionTenant.step(done, "s")?.int("attempt") == 2)

        let rejectedID = try await tenant.submitAs(#"{"steps": [{"id": "s", "agent_id": "big:agent", "action": "big.run"}]}"#, headers: Self.bob)
            .string("mission_id")
        let second = try await tenant.pendingApproval(rejectedID, step: "s")
        let rejected = try await tenant.decide(second.string("approval_id"), approve: false, comment: "too big", headers: Self.carol)
        #expect(rejected.string("status") == "rejected")
        let failed = try await tenant.final(rejectedID)
        #expect(MissionTenant.status(failed) == "failed")
        let error = MissionTenant.step(failed, "s")?.list("errors").last?.message
        #expect(error?.string("code") == "approval_rejected" && error?.string("message").contains("too big") == true)
        #expect(tenant.agents.invocations.count == 1)
    }

    @Test func unknownMalformedAndFinishedRequestsAreRefusedNamingTheCause() async throws {
        let tenant = try await MissionTenant(agents: ["pay:agent": .echo()])
        #expect(try await tenant.decisionError(UUID().uuidString.lowercased(), headers: Self.alice) == .notFound)
        #expect(try await tenant.decisionError("not-a-uuid", headers: Self.alice) == .invalidArgument)
        let id = try await tenant.submitAs(Self.payment, headers: Self.bob).string("mission_id")
        let approval = try await tenant.pendingApproval(id, step: "pay")
        _ = try await tenant.cancel(id, reason: "not needed")
        #expect(try await tenant.approval(approval.string("approval_id")).string("status") == "cancelled")
        #expect(try await tenant.decisionError(approval.string("approval_id"), headers: Self.alice) == .failedPrecondition)
        // Another tenant does not see it.
        let other = try await MissionTenant(agents: ["pay:agent": .echo()])
        #expect(try await other.decisionError(approval.string("approval_id"), headers: Self.alice) == .notFound)
        await #expect(throws: BusError.self) {
            _ = try await tenant.request(CoordinationSubjects.listApprovals, ProtoMessage("agion.v1.ListApprovalsRequest", ["status": .string("maybe")]),
                                         headers: Self.alice)
        }
    }
}

extension MissionTenant {
    /// A request to coordination as the caller `headers` name (the gateway's `agion-*` headers).
    func request(_ subject: String, _ message: ProtoMessage, headers: [String: String]) async throws -> ProtoMessage {
        var envelope = Envelope(type: message.name, tenant: name, payload: try ProtoSchema.encode(message))
        envelope.headers = headers
        let reply = try await bus.request(subject, envelope, timeout: .seconds(10))
        return try ProtoSchema.decode(reply.type, from: reply.payload)
    }

    func submitAs(_ definition: String, headers: [String: String]) async throws -> ProtoMessage {
        let parsed = try MissionDefinition.parse(try JSONValue.parse(Array(definition.utf8)), nowUnixNanos: Envelope.nowUnixNanos())
        return try await request(CoordinationSubjects.submit, ProtoMessage("agion.v1.SubmitMissionRequest", ["definition": .message(parsed.proto)]),
                                 headers: headers)
    }

    func approval(_ id: String) async throws -> ProtoMessage {
        try await call(CoordinationSubjects.getApproval, ProtoMessage("agion.v1.GetApprovalRequest", ["approval_id": .string(id)]))
    }

    /// The step's pending request, once the mission shows it waiting.
    func pendingApproval(_ mission: String, step: String) async throws -> ProtoMessage {
        var found: ProtoMessage?
        try await eventually("step \(step) waits for an approval") {
            let current = MissionTenant.step(try await get(mission), step)
            found = current?.message("approval")
            return found?.string("status") == "pending" && current?.int("status") == 5
        }
        return try await approval(found!.string("approval_id"))
    }

    @discardableResult
    func decide(_ id: String, approve: Bool, comment: String = "", digest: String = "", headers: [String: String]) async throws -> ProtoMessage {
        try await request(CoordinationSubjects.decideApproval, ProtoMessage("agion.v1.DecideApprovalRequest", [
            "approval_id": .string(id), "approve": .bool(approve), "comment": .string(comment), "input_digest": .string(digest),
        ]), headers: headers)
    }

    /// The error code a decision is refused with (nil if it was taken).
    func decisionError(_ id: String, digest: String = "", headers: [String: String]) async throws -> ErrorReply.Code? {
        do {
            try await decide(id, approve: true, digest: digest, headers: headers)
            return nil
        } catch let error as BusError where error.code == .remote {
            return error.remote?.code
        }
    }
}
