import AgionContract
import AgionEnvelope
import AgionStore
import GovernanceCore

/// Trust evidence in PostgreSQL: applies an observation to the agent's
/// overall score and, when it names one, its capability score, records the
/// history and announces the change, all in the caller's transaction.
struct TrustLedger: Sendable {
    let schema: String
    let model: TrustModel
    let outbox: Outbox

    init(schema: String, model: TrustModel) {
        self.schema = schema
        self.model = model
        self.outbox = Outbox(schema: schema)
    }

    /// Returns the new overall score (and the capability score, if any).
    @discardableResult
    func apply(_ evidence: TrustModel.Evidence, cause: String, agent: AgentID, capability: String?, executionID: String,
               tenant: TenantID, request: Envelope?, on connection: Connection) async throws -> [TrustScore] {
        var scores: [TrustScore] = []
        for scope in [""] + (capability.map { [$0] } ?? []) {
            // The stored evidence, locked, with the database's clock (one round trip).
            let row = try await connection.query("""
                SELECT positive, negative, updated_at, \(schema).now_nanos() AS now FROM \(schema).trust_scores
                WHERE tenant = $1 AND agent_id = $2 AND capability = $3 FOR UPDATE
                """, [tenant.value, agent.description, scope], prepared: true).first
            let now: Int64
            if let row {
                now = try row.decode("now", as: Int64.self)
            } else {
                now = try await connection.query("SELECT \(schema).now_nanos() AS now", prepared: true)[0].decode("now", as: Int64.self)
            }
            let before = try row.map { TrustState(positive: try $0.decode("positive"), negative: try $0.decode("negative"),
                                                  updatedAtNanos: try $0.decode("updated_at")) } ?? .neutral(at: now)
            let after = model.applying(evidence, to: before, at: now)
            let score = TrustScore(agentID: agent, capability: scope.isEmpty ? nil : scope, score: model.score(after, at: now),
                                   evidence: after.evidence, updatedAtUnixNanos: now)
            let event = TrustChanged(score: score, previousScore: model.score(before, at: now), cause: cause, executionID: executionID)
            let payload = try event.encoded()
            let envelope = request?.caused(type: GovernanceSubjects.EventType.trustChanged, payload: payload)
                ?? Envelope(type: GovernanceSubjects.EventType.trustChanged, tenant: tenant.value, payload: payload)
            // The score, its history and its announcement: one statement.
            try await connection.execute("""
                WITH score AS (
                    INSERT INTO \(schema).trust_scores (tenant, agent_id, capability, positive, negative, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (tenant, agent_id, capability) DO UPDATE
                    SET positive = EXCLUDED.positive, negative = EXCLUDED.negative, updated_at = EXCLUDED.updated_at),
                history AS (
                    INSERT INTO \(schema).trust_history (tenant, agent_id, capability, cause, positive_added, negative_added, score, execution_id, occurred_at)
                    VALUES ($1, $2, $3, $7, $8, $9, $10, $11, $15))
                INSERT INTO \(schema).outbox (event_id, subject, envelope) VALUES ($12, $13, $14)
                """, [tenant.value, agent.description, scope, after.positive, after.negative, after.updatedAtNanos, cause, evidence.positive,
                      evidence.negative, score.score, executionID, envelope.id,
                      GovernanceSubjects.eventSubject(tenant: tenant.value, event: "trust_changed"), try envelope.encoded(), now], prepared: true)
            scores.append(score)
        }
        return scores
    }

    /// Current scores of several agents in one scope.
    func scores(agents: [AgentID], capability: String?, tenant: TenantID, pool: ConnectionPool) async throws -> [TrustScore] {
        try await pool.withConnection { connection in
            let now = try await connection.query("SELECT \(schema).now_nanos() AS now", prepared: true)[0].decode("now", as: Int64.self)
            let rows = try await connection.query("""
                SELECT agent_id, positive, negative, updated_at FROM \(schema).trust_scores
                WHERE tenant = $1 AND capability = $2 AND agent_id = ANY($3::text[])
                """, [tenant.value, capability ?? "", PostgresTextArray(agents.map(\.description))], prepared: true)
            var states: [String: TrustState] = [:]
            for row in rows {
                states[try row.decode("agent_id")] = TrustState(positive: try row.decode("positive"), negative: try row.decode("negative"),
                                                                 updatedAtNanos: try row.decode("updated_at"))
            }
            return agents.map { agent in
                let state = model.decayed(states[agent.description] ?? .neutral(at: now), to: now)
                return TrustScore(agentID: agent, capability: capability, score: model.score(state, at: now), evidence: state.evidence,
                                  updatedAtUnixNanos: state.updatedAtNanos)
            }
        }
    }

    /// The agent's current score in one scope and its changes, newest first
    /// (ordered by row id, which follows commit order per agent because
    /// changes of one agent are serialised).
    func history(_ request: TrustHistoryRequest, tenant: TenantID, pool: ConnectionPool) async throws -> TrustHistoryResponse {
        let before = try PageToken.position(request.pageToken) ?? Int64.max
        let pageSize = Int(request.pageSize)
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT id, cause, positive_added, negative_added, score, execution_id, occurred_at FROM \(schema).trust_history
                WHERE tenant = $1 AND agent_id = $2 AND capability = $3 AND id < $4 ORDER BY id DESC LIMIT $5
                """, [tenant.value, request.agentID.description, request.capability ?? "", before, pageSize + 1], prepared: true)
        }
        var history: [TrustHistoryEntry] = []
        for row in rows.prefix(pageSize) {
            history.append(TrustHistoryEntry(cause: try row.decode("cause"), positiveAdded: try row.decode("positive_added"),
                                             negativeAdded: try row.decode("negative_added"), score: try row.decode("score"),
                                             executionID: try row.decode("execution_id"), occurredAtUnixNanos: try row.decode("occurred_at")))
        }
        let next = rows.count > pageSize ? PageToken.after(try rows[pageSize - 1].decode("id", as: Int64.self)) : ""
        let current = try await scores(agents: [request.agentID], capability: request.capability, tenant: tenant, pool: pool)[0]
        return TrustHistoryResponse(current: current, history: history, nextPageToken: next)
    }

    /// Ratings `source` gave `agent` within the model's feedback window.
    func recentFeedbackCount(source: String, agent: AgentID, tenant: TenantID, on connection: Connection) async throws -> Int {
        let windowNanos = Int64(model.feedbackWindow.components.seconds) * 1_000_000_000
        return try await connection.query("""
            SELECT count(*) AS n FROM \(schema).feedback
            WHERE tenant = $1 AND agent_id = $2 AND source = $3 AND occurred_at > \(schema).now_nanos() - $4
            """, [tenant.value, agent.description, source, windowNanos], prepared: true)[0].decode("n")
    }
}
