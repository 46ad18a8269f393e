import AgionContract

extension AgionClient {
    /// Runs `body` only where governance allows `agent` to perform `action`:
    /// the Swift form of the Python SDK's `with_governance`.
    ///
    ///     let chart = try await agion.governed("charts:generator", "reports.generate", context: ["rows": 500]) { decision in
    ///         try await makeChart(maxTokens: decision.obligation("max_tokens"))
    ///     }
    ///
    /// A deny throws `AgionSDKError` `denied`, an approval requirement
    /// `approval_required` (both with the decision). The body receives the
    /// decision: its obligations are conditions of the allow, and the body
    /// must apply them (`redact` of the body's own output is applied by
    /// Agion to a mission step's output as well).
    public func governed<T: Sendable>(_ agent: AgentID, _ action: String, context: [String: ContextValue] = [:], principal: String? = nil,
                                      _ body: (Decision) async throws -> T) async throws -> T {
        let decision = try await check(agent, action, context: context, principal: principal)
        switch decision.effect {
        case .allow: return try await body(decision)
        case .deny: throw AgionSDKError.denied(decision)
        case .requireApproval: throw AgionSDKError.approvalRequired(decision)
        }
    }
}

extension Decision {
    /// The first obligation of this kind, if the decision carries one.
    public func obligation(_ kind: String) -> Obligation? { obligations.first { $0.kind == kind } }
}
