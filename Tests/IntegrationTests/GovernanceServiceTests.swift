import AgionBus
import AgionCache
import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation
import Testing

/// Governance, two replicas, with the registry feeding it agents, against
/// real NATS, Redis and PostgreSQL. Serialized: some tests take the cluster
/// down to test failures.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GovernanceServiceTests {
    let tenant = TestEnvironment.uniqueName("g")

    static let basePolicy = """
        version: 1
        rules:
          - id: reports
            description: reporters may generate reports up to 10,000 rows
            effect: allow
            agents: ["langgraph-v2:*"]
            actions: [reports.generate]
            when: [{field: rows, op: lte, value: 10000}]
            obligations: [{kind: redact, fields: [ssn]}]
          - id: big-reports
            effect: require_approval
            actions: [reports.generate]
            when: [{field: rows, op: gt, value: 10000}]
          - id: no-deletes
            effect: deny
            actions: ["*.delete"]
            description: nothing is deleted by agents
        output:
          - id: no-aws-keys
            forbid: ["AKIA[0-9A-Z]{16}"]
          - id: summary-required
            actions: [reports.generate]
            require_fields: [result.summary]
        """

    func governance() async throws -> Bus { try await GovernanceCluster.shared.bus() }

    @discardableResult
    func putPolicy(_ document: String, draft: Bool = false, _ bus: Bus) async throws -> PolicyRevision {
        try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: document, draft: draft), tenant: tenant, as: PolicyRevision.self)
    }

    /// Registers an agent with the registry and waits until governance heard of it.
    func register(_ name: String, _ bus: Bus) async throws -> AgentID {
        let registry = try await RegistryCluster.shared.bus()
        let id = try AgentID(container: "langgraph-v2", name: name)
        let agent = Agent(id: id, type: "llm", capabilities: ["reports"], version: "1", endpoint: .http(baseURL: "http://langgraph-v2:8080"))
        _ = try await registry.call(RegistrySubjects.register, RegisterAgentsRequest(container: "langgraph-v2", agents: [agent]), tenant: tenant,
                                    as: RegisterAgentsResponse.self)
        // Against an allow-all draft, so the answer is about the agent: with
        // the tenant's policy not yet in place, "no active policy" would
        // hide "not registered" and the wait would end too early.
        try await eventually("governance knows \(id)") {
            try await explain(CheckRequest(agentID: id, action: "x"), draft: "rules: [{id: all, effect: allow}]", bus).effect == .allow
        }
        return id
    }

    func check(_ request: CheckRequest, _ bus: Bus) async throws -> Decision {
        try await bus.call(GovernanceSubjects.check, request, tenant: tenant, as: Decision.self)
    }

    func explain(_ request: CheckRequest, draft: String = "", _ bus: Bus) async throws -> Decision {
        try await bus.call(GovernanceSubjects.explain, ExplainRequest(request: request, policyDocument: draft), tenant: tenant, as: Decision.self)
    }

    func audit(_ query: AuditQuery, _ bus: Bus) async throws -> [AuditRecord] {
        try await bus.call(GovernanceSubjects.auditQuery, query, tenant: tenant, as: AuditQueryResponse.self).records
    }

    @Test func checksFollowThePolicyAndEveryDecisionIsAudited() async throws {
        let bus = try await governance()
        let events = try await EventReader.open(bus, stream: EventStreams.governance, subject: "agion.governance.evt.\(tenant).decisions_recorded")
        defer { Task { await events.close() } }
        try await putPolicy(Self.basePolicy, bus)
        let agent = try await register("reporter", bus)

        let allowed = try await check(CheckRequest(agentID: agent, action: "reports.generate", context: ["rows": 500]), bus)
        #expect(allowed.effect == .allow)
        #expect(allowed.ruleIDs == ["reports"])
        #expect(allowed.obligations == [Obligation(kind: "redact", parameters: ["fields": "ssn"])])
        #expect(allowed.trustScore == 0.5)
        #expect(UUID(uuidString: allowed.decisionID) != nil)

        let approval = try await check(CheckRequest(agentID: agent, action: "reports.generate", context: ["rows": 50_000]), bus)
        #expect(approval.effect == .requireApproval)
        let denied = try await check(CheckRequest(agentID: agent, action: "files.delete"), bus)
        #expect(denied.effect == .deny)
        #expect(denied.reasons == ["rule no-deletes denies: nothing is deleted by agents"])
        let unmatched = try await check(CheckRequest(agentID: agent, action: "mail.send"), bus)
        #expect(unmatched.effect == .deny)
        #expect(unmatched.ruleIDs.isEmpty)
        #expect(unmatched.reasons.first?.contains("no rule allows") == true)

        let ids = [allowed, approval, denied, unmatched].map(\.decisionID)
        try await eventually("decisions in the audit trail") {
            try await audit(AuditQuery(agentID: agent.description), bus).map(\.decisionID).filter(ids.contains).count == 4
        }
        // Chain order is the order records reached PostgreSQL (each replica
        // ships its own spool); decision time orders them as made.
        let records = try await audit(AuditQuery(agentID: agent.description, kind: .check), bus).filter { ids.contains($0.decisionID) }
            .sorted { $0.decidedAtUnixNanos < $1.decidedAtUnixNanos }
        #expect(records.map(\.result) == ["allow", "require_approval", "deny", "deny"])
        #expect(records[0].context == ["rows": 500])
        #expect(records[0].ruleIDs == ["reports"])
        #expect(records.allSatisfy { $0.hash.count == 64 && $0.sequence > 0 })
        #expect(try await audit(AuditQuery(action: "files.delete", result: "deny"), bus).map(\.decisionID) == [denied.decisionID])
        // Every decision is also an event for outside subscribers, once.
        // Announced in batches (one event per tenant per shipped batch), each decision once.
        var published: [String] = []
        try await eventually("every decision announced") {
            for event in try await events.available() {
                #expect(event.type == GovernanceSubjects.EventType.decisionsRecorded)
                published += try event.payload(as: DecisionsRecorded.self).records.map(\.decisionID)
            }
            return Set(published).isSuperset(of: ids)
        }
        #expect(published.sorted() == ids.sorted())
        #expect(try await events.isQuiet())
        let later = try await audit(AuditQuery(fromUnixNanos: records[2].decidedAtUnixNanos), bus).map(\.decisionID)
        #expect(later.contains(denied.decisionID), "\(later) \(records.map(\.decidedAtUnixNanos))")
        #expect(!later.contains(allowed.decisionID))
    }

    /// Checks batched by a gateway (`RequestBatcher`) are decided one by one,
    /// each in its own tenant, and each is audited before the batch is answered.
    @Test func batchedChecksAreDecidedEachInItsOwnTenantAndAudited() async throws {
        let bus = try await governance()
        try await putPolicy(Self.basePolicy, bus)
        let agent = try await register("batched", bus)
        let stranger = TestEnvironment.uniqueName("nobody")
        func envelope(_ request: CheckRequest, tenant: String) throws -> [UInt8] {
            try Envelope(type: CheckRequest.protoName, tenant: tenant, payload: request.encoded()).encoded()
        }
        // One batch by hand: this suite's tenant, a tenant governance never heard of, and a denial.
        let batch = EnvelopeBatch(envelopes: [
            try envelope(CheckRequest(agentID: agent, action: "reports.generate", context: ["rows": 5]), tenant: tenant),
            try envelope(CheckRequest(agentID: agent, action: "reports.generate"), tenant: stranger),
            try envelope(CheckRequest(agentID: agent, action: "files.delete"), tenant: tenant),
        ])
        let reply = try await bus.request(EnvelopeBatch.subject(for: GovernanceSubjects.check),
                                          Envelope(type: EnvelopeBatch.envelopeType, tenant: "", payload: batch.encoded()))
        let replies = try EnvelopeBatch(decoding: reply.payload).envelopes.map { try Envelope(decoding: $0) }
        #expect(replies.count == 3)
        let allowed = try replies[0].payload(as: Decision.self)
        #expect(allowed.effect == .allow)
        #expect(replies[0].tenant == tenant)
        #expect(replies[1].type == ErrorReply.envelopeType)
        #expect(try ErrorReply(decoding: replies[1].payload).code == ErrorReply.Code.unknownTenant)
        let denied = try replies[2].payload(as: Decision.self)
        #expect(denied.effect == .deny)

        // Many at once through a batcher, as the gateway sends them.
        let batcher = bus.batcher(for: GovernanceSubjects.check, limits: .init(maxInFlight: 1))
        let decisions = try await withThrowingTaskGroup(of: Decision.self) { group in
            for rows in 0..<40 {
                group.addTask {
                    let request = Envelope(type: CheckRequest.protoName, tenant: tenant,
                                           payload: try CheckRequest(agentID: agent, action: "reports.generate", context: ["rows": .number(Double(rows))]).encoded())
                    return try await batcher.request(request, timeout: .seconds(10)).payload(as: Decision.self)
                }
            }
            return try await group.reduce(into: [Decision]()) { $0.append($1) }
        }
        #expect(decisions.count == 40)
        #expect(decisions.allSatisfy { $0.effect == .allow })
        let ids = Set(decisions.map(\.decisionID) + [allowed.decisionID, denied.decisionID])
        #expect(ids.count == 42, "every check got its own decision")
        try await eventually("every batched decision in the audit trail") {
            try await audit(AuditQuery(agentID: agent.description, pageSize: 100), bus).filter { ids.contains($0.decisionID) }.count == 42
        }
        #expect(try await audit(AuditQuery(agentID: agent.description, pageSize: 100), bus).allSatisfy { $0.tenant == tenant })
    }

    @Test func unknownOfflineAndUnpolicedRequestsAreDeniedWithAReason() async throws {
        let bus = try await governance()
        let stranger = try AgentID("nowhere:nobody")
        // A tenant governance never heard of is an error, not a decision.
        let unknownTenant = await remoteError { _ = try await check(CheckRequest(agentID: stranger, action: "reports.generate"), bus) }
        #expect(unknownTenant?.code == ErrorReply.Code.unknownTenant)
        #expect(unknownTenant?.field == "tenant")
        // Only a draft: known, but nothing is active, so everything is denied.
        try await putPolicy("rules: [{id: all, effect: allow}]", draft: true, bus)
        try await eventually(timeout: .seconds(2), "both replicas see the draft-only tenant") {
            let first = try? await check(CheckRequest(agentID: stranger, action: "x"), bus)
            let second = try? await check(CheckRequest(agentID: stranger, action: "x"), bus)
            return first != nil && second != nil
        }
        let noPolicy = try await check(CheckRequest(agentID: stranger, action: "reports.generate"), bus)
        #expect(noPolicy.effect == .deny)
        #expect(noPolicy.reasons == ["tenant \(tenant) has no active policy (default deny)"])

        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        // Every replica has the new policy within a second (at once when the notification arrives).
        try await eventually(timeout: .seconds(1), "both replicas have the policy") {
            let first = try await check(CheckRequest(agentID: stranger, action: "x"), bus)
            let second = try await check(CheckRequest(agentID: stranger, action: "x"), bus)
            return first.policyRevision == 2 && second.policyRevision == 2
        }
        let unknown = try await check(CheckRequest(agentID: stranger, action: "reports.generate"), bus)
        #expect(unknown.effect == .deny)
        #expect(unknown.reasons == ["agent nowhere:nobody is not registered in tenant \(tenant)"])

        let agent = try await register("leaving", bus)
        #expect(try await check(CheckRequest(agentID: agent, action: "anything"), bus).effect == .allow)
        let registry = try await RegistryCluster.shared.bus()
        _ = try await registry.call(RegistrySubjects.deregister, DeregisterAgentRequest(agentID: agent), tenant: tenant, as: AgentRecord.self)
        try await eventually("governance heard of the deregistration") {
            try await check(CheckRequest(agentID: agent, action: "anything"), bus).reasons == ["agent \(agent) is deregistered"]
        }
    }

    @Test func policiesAreValidatedVersionedAndRolledBackOnEveryReplica() async throws {
        let bus = try await governance()
        let invalid = await remoteError { try await putPolicy("rules:\n  - {id: a, effect: allow, when: [{field: x, op: between}]}", bus) }
        #expect(invalid?.code == ErrorReply.Code.invalidArgument)
        #expect(invalid?.field == "document.rules[0].when[0].op")

        let first = try await putPolicy("rules: [{id: v1, effect: allow}]", bus)
        let second = try await putPolicy("rules: [{id: v2, effect: deny}]", bus)
        let draft = try await putPolicy("rules: [{id: v3, effect: allow}]", draft: true, bus)
        #expect([first.revision, second.revision, draft.revision] == [1, 2, 3])
        #expect(!draft.active)
        let agent = try await register("versioned", bus)
        #expect(try await check(CheckRequest(agentID: agent, action: "a"), bus).ruleIDs == ["v2"])

        let rolledBack = try await bus.call(GovernanceSubjects.activatePolicy, ActivatePolicyRequest(revision: 1), tenant: tenant, as: PolicyRevision.self)
        #expect(rolledBack.active)
        // The other replica learns of it by polling (500 ms): within a second every answer uses revision 1.
        try await Task.sleep(for: .seconds(1))
        for _ in 0..<20 {
            let decision = try await check(CheckRequest(agentID: agent, action: "a"), bus)
            #expect(decision.policyRevision == 1 && decision.effect == .allow)
        }
        let revisions = try await bus.call(GovernanceSubjects.listPolicies, ListPolicyRevisionsRequest(), tenant: tenant, as: ListPolicyRevisionsResponse.self)
        #expect(revisions.revisions.map(\.revision) == [3, 2, 1])
        #expect(revisions.revisions.filter(\.active).map(\.revision) == [1])
        let document = try await bus.call(GovernanceSubjects.getPolicy, GetPolicyRequest(revision: 2), tenant: tenant, as: PolicyDocument.self)
        #expect(document.document == "rules: [{id: v2, effect: deny}]")
        let missing = await remoteError {
            _ = try await bus.call(GovernanceSubjects.activatePolicy, ActivatePolicyRequest(revision: 99), tenant: tenant, as: PolicyRevision.self)
        }
        #expect(missing?.code == ErrorReply.Code.notFound)
    }

    @Test func explainEvaluatesADraftWithoutRecordingIt() async throws {
        let bus = try await governance()
        try await putPolicy(Self.basePolicy, bus)
        let agent = try await register("explained", bus)
        let request = CheckRequest(agentID: agent, action: "mail.send")
        #expect(try await explain(request, bus).effect == .deny)
        let draft = try await explain(request, draft: "rules: [{id: mail, effect: allow, actions: [mail.*], rate_limit: {max: 3, per_seconds: 60}}]", bus)
        #expect(draft.effect == .allow)
        #expect(draft.decisionID.isEmpty)
        #expect(draft.reasons.contains("would draw from the rate limit of rule mail (3 per 60 s)"))
        let bad = await remoteError { _ = try await explain(request, draft: "rules: [{id: x}]", bus) }
        #expect(bad?.field == "policy_document.rules[0].effect")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await audit(AuditQuery(agentID: agent.description), bus).isEmpty)
    }

    @Test func rateLimitsAreSharedByBothReplicas() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: limited, effect: allow, rate_limit: {max: 5, per_seconds: 3600, scope: agent}}]", bus)
        let agent = try await register("limited", bus)
        var effects: [Effect] = []
        for _ in 0..<12 { effects.append(try await check(CheckRequest(agentID: agent, action: "a"), bus).effect) }
        #expect(effects.filter { $0 == .allow }.count == 5)
        #expect(Array(effects.prefix(5)) == Array(repeating: .allow, count: 5))
        let refused = try await check(CheckRequest(agentID: agent, action: "a"), bus)
        #expect(refused.reasons == ["rate limit of rule limited reached: at most 5 per 3600 s for agent \(agent)"])
    }

    @Test func validationIsRecordedAndMovesTrust() async throws {
        let bus = try await governance()
        try await putPolicy(Self.basePolicy, bus)
        let agent = try await register("validated", bus)
        let leaked = try await bus.call(GovernanceSubjects.validate,
                                        ValidateOutputRequest(agentID: agent, action: "mail.send", output: "key AKIAABCDEFGHIJKLMNOP here"),
                                        tenant: tenant, as: ValidationResult.self)
        #expect(!leaked.passed)
        #expect(leaked.violations.map(\.kind) == ["forbidden_pattern"])
        #expect(!leaked.violations[0].message.contains("AKIA"))
        #expect(leaked.trustScore < 0.5)
        let missing = try await bus.call(GovernanceSubjects.validate,
                                         ValidateOutputRequest(agentID: agent, action: "reports.generate", output: #"{"result": {}}"#,
                                                               contentType: "application/json"), tenant: tenant, as: ValidationResult.self)
        #expect(missing.violations.map(\.field) == ["result.summary"])
        let good = try await bus.call(GovernanceSubjects.validate,
                                      ValidateOutputRequest(agentID: agent, action: "reports.generate", output: #"{"result": {"summary": "ok"}}"#,
                                                            contentType: "application/json"), tenant: tenant, as: ValidationResult.self)
        #expect(good.passed)
        #expect(good.trustScore > missing.trustScore)
        let records = try await audit(AuditQuery(agentID: agent.description, kind: .validate), bus)
        #expect(records.map(\.result) == ["failed", "failed", "passed"])
        #expect(records[0].violations.first?.ruleID == "no-aws-keys")
        // The check path sees the new trust.
        // (Scores decay continuously, so a later read differs in the far decimals.)
        #expect(abs(try await check(CheckRequest(agentID: agent, action: "reports.generate", context: ["rows": 1]), bus).trustScore - good.trustScore) < 1e-6)

        // A validation that is also the execution's report (as execution sends
        // it): both pieces of evidence, in one trust update.
        let output = #"{"result": {"summary": "ok"}}"#
        let plain = try await bus.call(GovernanceSubjects.validate, ValidateOutputRequest(
            agentID: agent, action: "reports.generate", output: output, contentType: "application/json"), tenant: tenant, as: ValidationResult.self)
        let reported = try await bus.call(GovernanceSubjects.validate, ValidateOutputRequest(
            agentID: agent, action: "reports.generate", output: output, contentType: "application/json", executionID: "m/s/1",
            execution: .init(latencyMillis: 12)), tenant: tenant, as: ValidationResult.self)
        #expect(reported.trustScore - plain.trustScore > plain.trustScore - good.trustScore, "success evidence on top of the validation's")
        let history = try await bus.call(GovernanceSubjects.trustHistory, TrustHistoryRequest(agentID: agent, pageSize: 1), tenant: tenant,
                                         as: TrustHistoryResponse.self)
        #expect(history.history.first?.cause == "success+validation_passed" && history.history.first?.executionID == "m/s/1")
    }

    @Test func trustMovesWithReportsAndFeedbackAndSurvivesARedisFlush() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: trusted, effect: allow, min_trust: 0.6}]", bus)
        let agent = try await register("earner", bus)
        let request = CheckRequest(agentID: agent, action: "a")
        #expect(try await check(request, bus).effect == .deny)

        var score = 0.5
        for _ in 0..<3 {
            let next = try await bus.call(GovernanceSubjects.report, ExecutionReport(agentID: agent, capability: "reports", outcome: .success,
                                                                                    latencyMillis: 80, targetLatencyMillis: 100),
                                          tenant: tenant, as: TrustScore.self)
            #expect(next.score > score)
            score = next.score
        }
        let allowed = try await check(request, bus)
        #expect(allowed.effect == .allow)
        #expect(abs(allowed.trustScore - score) < 1e-6)

        // A flood of 1-star ratings from one user barely moves it.
        var flooded = score
        for _ in 0..<30 {
            flooded = try await bus.call(GovernanceSubjects.feedback, FeedbackRequest(agentID: agent, rating: 1, source: "user:troll"),
                                         tenant: tenant, as: TrustScore.self).score
        }
        let fresh = try await bus.call(GovernanceSubjects.feedback, FeedbackRequest(agentID: agent, rating: 1, source: "user:other"),
                                       tenant: tenant, as: TrustScore.self).score
        #expect(flooded > 0.45)
        #expect(flooded - fresh > 0.03)

        // Wipe governance's Redis entries: the score comes back from PostgreSQL.
        let redis = RedisPool(RedisConfiguration(host: TestEnvironment.redisHost, port: TestEnvironment.redisPort))
        if let keys = try await redis.command(["KEYS", "\(GovernanceCluster.cachePrefix):\(tenant):*"]).array {
            for key in keys.compactMap(\.string) { try await redis.command(["DEL", key]) }
        }
        await redis.shutdown()
        #expect(abs(try await check(request, bus).trustScore - fresh) < 1e-6)
        let scores = try await bus.call(GovernanceSubjects.trust, TrustScoresRequest(agentIDs: [agent], capability: "reports"), tenant: tenant,
                                        as: TrustScoresResponse.self)
        #expect(scores.scores.first?.capability == "reports")
        #expect((scores.scores.first?.score ?? 0) > 0.5)
    }

    @Test func trustHistoryShowsEachChangeNewestFirstAPageAtATime() async throws {
        let bus = try await governance()
        let agent = try await register("historian", bus)
        var overall: [Double] = []
        for outcome in [ExecutionReport.Outcome.success, .success, .failure] {
            let score = try await bus.call(GovernanceSubjects.report, ExecutionReport(agentID: agent, capability: "reports", outcome: outcome,
                                                                                      latencyMillis: 50, targetLatencyMillis: 100),
                                           tenant: tenant, as: TrustScore.self)
            overall.append(score.score)
        }
        overall.append(try await bus.call(GovernanceSubjects.feedback, FeedbackRequest(agentID: agent, rating: 5, source: "user:ann"),
                                          tenant: tenant, as: TrustScore.self).score)

        func history(_ capability: String?, size: UInt32, token: String = "") async throws -> TrustHistoryResponse {
            try await bus.call(GovernanceSubjects.trustHistory, TrustHistoryRequest(agentID: agent, capability: capability, pageSize: size,
                                                                                    pageToken: token),
                               tenant: tenant, as: TrustHistoryResponse.self)
        }
        let first = try await history(nil, size: 3)
        #expect(first.history.map(\.cause) == ["feedback", "failure", "success"])
        #expect(first.history.map(\.score) == overall.reversed().prefix(3).map { $0 })
        #expect(first.history[1].negativeAdded > 0 && first.history[1].positiveAdded == 0)
        #expect(abs(first.current.score - overall.last!) < 1e-3, "the current score is the last change, barely decayed")
        #expect(first.current.capability == nil)
        #expect(!first.nextPageToken.isEmpty)
        let second = try await history(nil, size: 3, token: first.nextPageToken)
        #expect(second.history.map(\.cause) == ["success"])
        #expect(second.history.first?.score == overall.first)
        #expect(second.nextPageToken.isEmpty)
        #expect(second.history.first!.occurredAtUnixNanos <= first.history.last!.occurredAtUnixNanos)

        // The capability's score moved with the reports only.
        let reports = try await history("reports", size: 50)
        #expect(reports.history.map(\.cause) == ["failure", "success", "success"])
        #expect(reports.current.capability == "reports")

        // Another tenant sees no history of this agent; a forged token is refused.
        let elsewhere = try await bus.call(GovernanceSubjects.trustHistory, TrustHistoryRequest(agentID: agent), tenant: TestEnvironment.uniqueName("other"),
                                           as: TrustHistoryResponse.self)
        #expect(elsewhere.history.isEmpty && elsewhere.current.score == 0.5)
        let forged = await remoteError { _ = try await history(nil, size: 3, token: "not-a-token") }
        #expect(forged?.code == ErrorReply.Code.invalidArgument)
        #expect(forged?.field == "page_token")
    }

    @Test func theAuditTrailIsHashChainedAndTamperingIsFound() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("chained", bus)
        for i in 0..<5 { _ = try await check(CheckRequest(agentID: agent, action: "step.\(i)"), bus) }
        try await eventually("five records") { try await audit(AuditQuery(agentID: agent.description), bus).count == 5 }
        // Verification covers what a signed head covers (the registration's probes are records too).
        let size = try await head(atLeast: 5, bus).treeSize
        let intact = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(intact.intact && intact.status == .succeeded)
        #expect(intact.recordsChecked == size && intact.toSize == size && intact.fromSize == 0)
        // Incremental: the next one starts where this one ended.
        let again = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(again.intact && again.fromSize == size && again.recordsChecked == 0)

        // Rewrite the third decision's result column, as an intruder with SQL access would.
        let pool = TestEnvironment.pool(size: 1)
        defer { Task { await pool.shutdown() } }
        try await pool.withConnection { connection in
            try await connection.execute("UPDATE \(GovernanceCluster.schema).audit_records SET result = 'deny' WHERE tenant = $1 AND sequence = 3", [tenant])
        }
        // A change in what was verified already is found by a full verification.
        let tampered = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(full: true), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(!tampered.intact && tampered.status == .failed)
        #expect(tampered.firstBrokenSequence == 3)
        #expect(tampered.reason.contains("column result"))

        // Replace the hashed record of the second one.
        try await pool.withConnection { connection in
            try await connection.execute("""
                UPDATE \(GovernanceCluster.schema).audit_records SET record = (SELECT record FROM \(GovernanceCluster.schema).audit_records
                WHERE tenant = $1 AND sequence = 1) WHERE tenant = $1 AND sequence = 2
                """, [tenant])
        }
        let broken = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(full: true), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(broken.firstBrokenSequence == 2)
        // The jobs and their results are kept, newest first.
        let jobs = try await bus.call(GovernanceSubjects.auditVerifications, ListAuditVerificationsRequest(), tenant: tenant,
                                      as: ListAuditVerificationsResponse.self).verifications
        #expect(jobs.map(\.verificationID) == [broken, tampered, again, intact].map(\.verificationID))
        #expect(try await bus.call(GovernanceSubjects.auditVerification, AuditVerificationRequest(verificationID: tampered.verificationID),
                                   tenant: tenant, as: AuditVerifyResponse.self) == tampered)
    }

    @Test func evidenceAboutAgentsTheTenantNeverRegisteredIsRefused() async throws {
        let bus = try await governance()
        try await putPolicy(Self.basePolicy, bus)
        let known = try await register("known", bus)
        let ghost = try AgentID(container: "langgraph-v2", name: "ghost")
        let feedback = await remoteError {
            _ = try await bus.call(GovernanceSubjects.feedback, FeedbackRequest(agentID: ghost, rating: 5, source: "user:a"), tenant: tenant, as: TrustScore.self)
        }
        let validate = await remoteError {
            _ = try await bus.call(GovernanceSubjects.validate, ValidateOutputRequest(agentID: ghost, action: "a", output: "x"), tenant: tenant,
                                   as: ValidationResult.self)
        }
        let report = await remoteError {
            _ = try await bus.call(GovernanceSubjects.report, ExecutionReport(agentID: ghost, outcome: .success), tenant: tenant, as: TrustScore.self)
        }
        for error in [feedback, validate, report] {
            #expect(error?.code == ErrorReply.Code.notFound && error?.field == "agent_id", "\(String(describing: error))")
        }
        // An agent registered in another tenant is not registered in this one.
        let elsewhere = await remoteError {
            _ = try await bus.call(GovernanceSubjects.feedback, FeedbackRequest(agentID: known, rating: 5, source: "user:a"),
                                   tenant: tenant + "-other", as: TrustScore.self)
        }
        #expect(elsewhere?.code == ErrorReply.Code.notFound)
        // Nothing was recorded for the ghost; the known agent still takes feedback.
        let scores = try await bus.call(GovernanceSubjects.trust, TrustScoresRequest(agentIDs: [ghost]), tenant: tenant, as: TrustScoresResponse.self)
        #expect(scores.scores.allSatisfy { $0.evidence == 0 }, "\(scores)")
        #expect(try await audit(AuditQuery(agentID: ghost.description), bus).isEmpty)
        _ = try await bus.call(GovernanceSubjects.feedback, FeedbackRequest(agentID: known, rating: 5, source: "user:a"), tenant: tenant, as: TrustScore.self)
    }

    @Test func badRequestsGetErrorRepliesAndTheServiceKeepsServing() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("robust", bus)
        let malformed = await remoteError {
            _ = try await bus.request(GovernanceSubjects.check, Envelope(type: "x", tenant: tenant, payload: [0xFF, 0x01, 0x02]))
        }
        #expect(malformed?.code == ErrorReply.Code.decodeFailed)
        let garbage = await remoteError { _ = try await bus.request(GovernanceSubjects.check, bytes: [9, 9, 9]) }
        #expect(garbage?.code == ErrorReply.Code.decodeFailed)
        let badID = await remoteError {
            let payload = try ProtoSchema.encode(ProtoMessage("agion.v1.CheckRequest", ["agent_id": .string("bad id"), "action": .string("a")]))
            _ = try await bus.request(GovernanceSubjects.check, Envelope(type: "x", tenant: tenant, payload: payload))
        }
        #expect(badID?.field == "agent_id")
        let noTenant = await remoteError { _ = try await bus.call(GovernanceSubjects.check, CheckRequest(agentID: agent, action: "a"), tenant: "", as: Decision.self) }
        #expect(noTenant?.field == "tenant")
        let huge = ContextValue.object(Dictionary(uniqueKeysWithValues: (0..<5_000).map { ("k\($0)", ContextValue.number(Double($0))) }))
        let oversized = await remoteError { _ = try await check(CheckRequest(agentID: agent, action: "a", context: huge), bus) }
        #expect(oversized?.code == ErrorReply.Code.invalidArgument)
        #expect(oversized?.field.hasPrefix("context") == true)
        let chain = await remoteError {
            _ = try await check(CheckRequest(agentID: agent, action: "a", delegationChain: ["user:x"]), bus)
        }
        #expect(chain?.field == "principal")
        let badRating = await remoteError {
            let payload = try ProtoSchema.encode(ProtoMessage("agion.v1.FeedbackRequest", ["agent_id": .string(agent.description), "rating": .int(9),
                                                                                           "source": .string("u")]))
            _ = try await bus.request(GovernanceSubjects.feedback, Envelope(type: "x", tenant: tenant, payload: payload))
        }
        #expect(badRating?.field == "rating")
        #expect(try await check(CheckRequest(agentID: agent, action: "a"), bus).effect == .allow)
    }
}
