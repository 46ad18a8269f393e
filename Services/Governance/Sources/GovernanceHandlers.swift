import AgionContract
import AgionEnvelope
import AgionJSON
import AgionRuntime
import AgionStore
import GovernanceCore

/// Governance's RPC methods other than `check` (which runs on the blocking
/// responder, see `Decider`). These touch PostgreSQL directly; when it is
/// down they answer `unavailable` (retriable) and record nothing.
struct GovernanceHandlers: Sendable {
    let pool: ConnectionPool
    let policies: PolicyStore
    let cache: PolicyCache
    let decider: Decider
    let directory: AgentDirectory
    let ledger: AuditLedger
    let trust: TrustLedger
    let validator: OutputValidator
    let outputs: OutputStore
    let proofs: AuditProofs
    let verifier: AuditVerifier
    let archives: AuditArchives

    var methods: [RPCService.Method] {
        [
            .typed(GovernanceSubjects.explain, ExplainRequest.self) { request, context in try await explain(request, tenant: context.tenant) },
            .typed(GovernanceSubjects.putPolicy, PutPolicyRequest.self) { request, context in
                let policy = try Self.parse(request.document, field: "document")
                let revision = try await policies.put(request.document, policy: policy, comment: request.comment, draft: request.draft,
                                                      tenant: context.tenant, request: context.envelope)
                try await cache.activated(tenant: context.tenant.value)
                return revision
            },
            .typed(GovernanceSubjects.getPolicy, GetPolicyRequest.self) { request, context in
                try await policies.document(request.revision, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.listPolicies, ListPolicyRevisionsRequest.self) { request, context in
                ListPolicyRevisionsResponse(revisions: try await policies.list(tenant: context.tenant, limit: Int(request.limit)))
            },
            .typed(GovernanceSubjects.activatePolicy, ActivatePolicyRequest.self) { request, context in
                let revision = try await policies.activate(request.revision, tenant: context.tenant, request: context.envelope)
                try await cache.activated(tenant: context.tenant.value)
                return revision
            },
            .typed(GovernanceSubjects.validate, ValidateOutputRequest.self) { request, context in
                try context.requireCaller(is: request.agentID.description)
                return try await validate(request, tenant: context.tenant, envelope: context.envelope)
            }.callableByAgents(),
            .typed(GovernanceSubjects.report, ExecutionReport.self) { report, context in
                try context.requireCaller(is: report.agentID.description)
                let model = trust.model
                let evidence = model.evidence(outcome: TrustModel.Outcome(rawValue: report.outcome.rawValue)!, latencyMillis: report.latencyMillis,
                                              targetMillis: report.targetLatencyMillis > 0 ? report.targetLatencyMillis : nil)
                return try await record(evidence, cause: report.outcome.rawValue, agent: report.agentID, capability: report.capability,
                                        executionID: report.executionID, tenant: context.tenant, envelope: context.envelope)
            }.callableByAgents(),
            .typed(GovernanceSubjects.feedback, FeedbackRequest.self) { feedback, context in
                // Feedback is what others think of an agent: an agent may
                // pass on its users' ratings of other agents, never rate itself.
                if let caller = context.callerAgent, caller == feedback.agentID.description {
                    throw ErrorReply(code: .permissionDenied, message: "an agent may not give feedback on itself", field: "agent_id")
                }
                return try await self.feedback(feedback, tenant: context.tenant, envelope: context.envelope)
            }.callableByAgents(),
            .typed(GovernanceSubjects.trust, TrustScoresRequest.self) { request, context in
                TrustScoresResponse(scores: try await trust.scores(agents: request.agentIDs, capability: request.capability,
                                                                   tenant: context.tenant, pool: pool))
            },
            .typed(GovernanceSubjects.trustHistory, TrustHistoryRequest.self) { request, context in
                try await trust.history(request, tenant: context.tenant, pool: pool)
            },
            .typed(GovernanceSubjects.auditQuery, AuditQuery.self) { query, context in
                try await ledger.query(query, tenant: context.tenant, pool: pool)
            },
            .typed(GovernanceSubjects.auditVerify, AuditVerifyRequest.self) { request, context in
                try await verifier.start(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.auditVerification, AuditVerificationRequest.self) { request, context in
                try await verifier.get(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.auditVerifications, ListAuditVerificationsRequest.self) { request, context in
                try await verifier.list(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.auditHead, AuditTreeHeadRequest.self) { request, context in try await proofs.head(request, tenant: context.tenant) },
            .typed(GovernanceSubjects.auditProof, AuditProofRequest.self) { request, context in
                try await proofs.inclusion(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.auditConsistency, AuditConsistencyRequest.self) { request, context in
                try await proofs.consistency(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.auditKeys, AuditKeysRequest.self) { _, _ in try await proofs.keys() },
            .typed(GovernanceSubjects.createAuditArchive, CreateAuditArchiveRequest.self) { request, context in
                try await archives.create(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.listAuditArchives, ListAuditArchivesRequest.self) { _, context in try await archives.list(tenant: context.tenant) },
            .typed(GovernanceSubjects.auditArchiveRecords, AuditArchiveRecordsRequest.self) { request, context in
                try await archives.records(request, tenant: context.tenant)
            },
            .typed(GovernanceSubjects.dropAuditArchive, DropAuditArchiveRequest.self) { request, context in
                try await archives.drop(request, tenant: context.tenant)
            },
        ]
    }

    static func parse(_ document: String, field: String) throws -> Policy {
        do {
            return try PolicyParser.parse(document)
        } catch {
            throw ErrorReply(code: ErrorReply.Code.invalidArgument, message: error.reason,
                             field: error.field.isEmpty ? field : "\(field).\(error.field)")
        }
    }

    /// A check evaluated without recording it or drawing from rate limits.
    func explain(_ request: ExplainRequest, tenant: TenantID) async throws -> Decision {
        let now = Envelope.nowUnixNanos()
        let policy: CompiledPolicy?, revision: UInt32
        if request.policyDocument.isEmpty {
            let entry = try await cache.entry(for: tenant.value)
            (policy, revision) = (entry.policy, entry.revision)
        } else {
            (policy, revision) = (CompiledPolicy(try Self.parse(request.policyDocument, field: "policy_document")), 0)
        }
        let check = request.request
        let standing = try await directory.standing(tenant: tenant.value, agent: check.agentID.description, now: now)
        let trustScore = trust.model.score(standing.trust, at: now)
        guard let policy else {
            return Decision(decisionID: "", effect: .deny, reasons: ["tenant \(tenant) has no active policy (default deny)"], trustScore: trustScore,
                            policyRevision: revision)
        }
        guard let status = standing.status, status == .healthy || status == .unhealthy else {
            let reason = standing.status.map { "agent \(check.agentID) is \($0.name)" } ?? "agent \(check.agentID) is not registered in tenant \(tenant)"
            return Decision(decisionID: "", effect: .deny, reasons: [reason], trustScore: trustScore, policyRevision: revision)
        }
        let evaluation = policy.evaluate(PolicyRequest(agentID: check.agentID.description, action: check.action, principal: check.principal,
                                                       delegationChain: check.delegationChain, context: check.context, trust: trustScore,
                                                       unixSeconds: now / 1_000_000_000))
        let limits = evaluation.rateLimits.map { "would draw from the rate limit of rule \($0.ruleID) (\($0.max) per \($0.windowSeconds) s)" }
        return Decision(decisionID: "", effect: evaluation.effect, ruleIDs: evaluation.ruleIDs, reasons: evaluation.reasons + limits,
                        obligations: evaluation.obligations, trustScore: trustScore, policyRevision: revision)
    }

    /// A stored output's content, read only when a rule will look at it (most
    /// outputs of most tenants meet no output rule).
    private func readingStored(_ request: ValidateOutputRequest, tenant: TenantID, rules: [OutputRule]) async throws -> ValidateOutputRequest {
        guard let stored = request.stored, !validator.applicable(to: request, rules: rules).isEmpty else { return request }
        let bytes: [UInt8]
        do {
            bytes = try await outputs.read(OutputReference(digest: stored.digest, size: stored.size), tenant: tenant.value, mission: stored.missionID)
        } catch let error as OutputStoreError {
            throw ErrorReply(code: .notFound, message: "\(error)", retriable: false, field: "stored_output")
        } catch {
            throw ErrorReply(code: .unavailable, message: "the stored output could not be read: \(error)", retriable: true)
        }
        var resolved = request
        resolved.output = String(decoding: bytes, as: UTF8.self)
        resolved.stored = nil
        return resolved
    }

    func validate(_ request: ValidateOutputRequest, tenant: TenantID, envelope: Envelope) async throws -> ValidationResult {
        let started = ContinuousClock.now
        let entry = try await cache.entry(for: tenant.value)
        let rules = entry.policy?.policy.outputRules ?? []
        let violations = validator.violations(of: try await readingStored(request, tenant: tenant, rules: rules), rules: rules)
        let passed = violations.isEmpty
        let decisionID = UUIDv7.make().lowercasedString
        let now = Envelope.nowUnixNanos()
        var evidence = trust.model.evidence(validationPassed: passed)
        var cause = passed ? "validation_passed" : "validation_failed"
        if let execution = request.execution {
            // The execution's report too: one trust update for both.
            let outcome = trust.model.evidence(outcome: passed ? .success : .failure, latencyMillis: execution.latencyMillis,
                                               targetMillis: execution.targetLatencyMillis > 0 ? execution.targetLatencyMillis : nil)
            evidence.positive += outcome.positive
            evidence.negative += outcome.negative
            cause = (passed ? "success" : "failure") + "+" + cause
        }
        let scores = try await pool.withTransaction { [evidence, cause] connection in
            try await lockRegisteredAgent(request.agentID, tenant: tenant, on: connection)
            let scores = try await trust.apply(evidence, cause: cause,
                                               agent: request.agentID, capability: request.capability, executionID: request.executionID,
                                               tenant: tenant, request: envelope, on: connection)
            let record = AuditRecord(
                decisionID: decisionID, kind: .validate, tenant: tenant.value, agentID: request.agentID.description, action: request.action,
                result: passed ? "passed" : "failed", ruleIDs: Array(Set(violations.map(\.ruleID))).sorted(),
                reasons: violations.map { "\($0.ruleID): \($0.message)" }, trustScore: scores[0].score, policyRevision: entry.revision,
                decidedAtUnixNanos: now, evaluationNanos: Int64((ContinuousClock.now - started) / .nanoseconds(1)), violations: violations,
                executionID: request.executionID)
            try await ledger.append([AuditLedger.Entry(record)], on: connection)
            return scores
        }
        await directory.invalidate(tenant: tenant.value, agent: request.agentID.description)
        return ValidationResult(validationID: decisionID, passed: passed, violations: violations, trustScore: scores[0].score,
                                policyRevision: entry.revision)
    }

    func feedback(_ feedback: FeedbackRequest, tenant: TenantID, envelope: Envelope) async throws -> TrustScore {
        let scores = try await pool.withTransaction { connection in
            try await lockRegisteredAgent(feedback.agentID, tenant: tenant, on: connection)
            let earlier = try await trust.recentFeedbackCount(source: feedback.source, agent: feedback.agentID, tenant: tenant, on: connection)
            let evidence = trust.model.evidence(rating: feedback.rating, earlierFromSource: earlier)
            try await connection.execute("""
                INSERT INTO \(trust.schema).feedback (tenant, agent_id, capability, source, rating, comment, weight, execution_id, occurred_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \(trust.schema).now_nanos())
                """, [tenant.value, feedback.agentID.description, feedback.capability ?? "", feedback.source, feedback.rating, feedback.comment,
                      evidence.positive + evidence.negative, feedback.executionID], prepared: true)
            return try await trust.apply(evidence, cause: "feedback", agent: feedback.agentID, capability: feedback.capability,
                                         executionID: feedback.executionID, tenant: tenant, request: envelope, on: connection)
        }
        await directory.invalidate(tenant: tenant.value, agent: feedback.agentID.description)
        return scores[0]
    }

    func record(_ evidence: TrustModel.Evidence, cause: String, agent: AgentID, capability: String?, executionID: String,
                tenant: TenantID, envelope: Envelope) async throws -> TrustScore {
        let scores = try await pool.withTransaction { connection in
            try await lockRegisteredAgent(agent, tenant: tenant, on: connection)
            return try await trust.apply(evidence, cause: cause, agent: agent, capability: capability, executionID: executionID,
                                         tenant: tenant, request: envelope, on: connection)
        }
        await directory.invalidate(tenant: tenant.value, agent: agent.description)
        return scores[0]
    }

    /// Serialises trust changes of one agent across replicas (feedback
    /// damping counts earlier ratings, which must not race), once sure the
    /// registry has announced the agent in this tenant: evidence about an
    /// agent that does not exist would grow trust records for nothing (and a
    /// score waiting for whoever registers that name later). `not_found`
    /// otherwise, as a check of such an agent is denied. An agent that was
    /// registered and has since been deregistered or gone offline is still
    /// known: reports and feedback about its past work count.
    private func lockRegisteredAgent(_ agent: AgentID, tenant: TenantID, on connection: Connection) async throws {
        let known = try await connection.query("SELECT 1 AS known FROM \(trust.schema).agents WHERE tenant = $1 AND agent_id = $2",
                                               [tenant.value, agent.description], prepared: true)
        guard !known.isEmpty else {
            throw ErrorReply(code: ErrorReply.Code.notFound, message: "agent \(agent) is not registered in tenant \(tenant)", field: "agent_id")
        }
        try await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", ["\(trust.schema).trust.\(tenant.value).\(agent)"], prepared: true)
    }
}
