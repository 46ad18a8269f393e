import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation

/// The CLI's commands: each one request to a service over NATS.
struct Commands {
    let bus: Bus
    let arguments: Arguments

    static let usage = """
        usage: agion <command> --tenant TENANT [options]
          check --agent ID --action ACTION [--context JSON] [--principal P]   ask governance
          policy put FILE [--comment TEXT] [--draft] | policy get [--revision N] | policy list | policy activate N
          audit verify [--full true]                                          verify the audit up to its latest signed head
          audit query [--agent ID] [--action A] [--result R] [--since UNIX_SECONDS] [--limit N]
          agents list [--capability C] [--status S] [--container C]
          agents register --agent CONTAINER:NAME --url URL [--capability C[,C…]] [--version V]
          trust --agent ID [--capability C]
        environment: AGION_NATS_URL (default nats://127.0.0.1:14222), AGION_NATS_CREDS (a .creds file: the platform user's on a NATS with authentication)
        """

    func run() async throws -> Int32 {
        let tenant = try arguments.required("tenant")
        switch (arguments.words.first, arguments.words.dropFirst().first) {
        case ("check", _):
            let request = CheckRequest(agentID: try AgentID(try arguments.required("agent")), action: try arguments.required("action"),
                                       context: try context(), principal: arguments.options["principal"])
            let decision = try await bus.call(GovernanceSubjects.check, request, tenant: tenant, as: Decision.self)
            print("\(decision.effect.rawValue)  decision \(decision.decisionID)  trust \(String(format: "%.3f", decision.trustScore))  policy r\(decision.policyRevision)")
            if !decision.ruleIDs.isEmpty { print("  rules: \(decision.ruleIDs.joined(separator: ", "))") }
            for reason in decision.reasons { print("  reason: \(reason)") }
            for obligation in decision.obligations { print("  obligation: \(obligation.kind) \(obligation.parameters)") }
            return decision.effect == .allow ? 0 : 3
        case ("policy", "put"):
            guard arguments.words.count > 2 else { throw UsageError("policy put needs a file") }
            let document = try String(contentsOfFile: arguments.words[2], encoding: .utf8)
            let revision = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: document, comment: arguments.options["comment"] ?? "",
                                                                                           draft: arguments.switches.contains("draft")),
                                              tenant: tenant, as: PolicyRevision.self)
            print("revision \(revision.revision)\(revision.active ? " (active)" : " (draft)"): \(revision.ruleCount) rules, \(revision.outputRuleCount) output rules")
        case ("policy", "get"):
            let document = try await bus.call(GovernanceSubjects.getPolicy, GetPolicyRequest(revision: UInt32(arguments.options["revision"] ?? "0") ?? 0),
                                              tenant: tenant, as: PolicyDocument.self)
            print(document.document)
        case ("policy", "list"):
            let list = try await bus.call(GovernanceSubjects.listPolicies, ListPolicyRevisionsRequest(), tenant: tenant, as: ListPolicyRevisionsResponse.self)
            for r in list.revisions { print("r\(r.revision)\(r.active ? " *active*" : "")  \(r.ruleCount) rules  \(r.digest.prefix(12))  \(r.comment)") }
        case ("policy", "activate"):
            guard arguments.words.count > 2, let number = UInt32(arguments.words[2]) else { throw UsageError("policy activate needs a revision number") }
            let revision = try await bus.call(GovernanceSubjects.activatePolicy, ActivatePolicyRequest(revision: number), tenant: tenant, as: PolicyRevision.self)
            print("revision \(revision.revision) is active")
        case ("audit", "verify"):
            var result = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(full: arguments.options["full"] == "true"),
                                            tenant: tenant, as: AuditVerifyResponse.self)
            while !result.finished {
                print("verifying \(result.fromSize)..\(result.toSize): \(result.recordsChecked) records checked (\(result.status.rawValue))")
                try await Task.sleep(for: .seconds(1))
                result = try await bus.call(GovernanceSubjects.auditVerification, AuditVerificationRequest(verificationID: result.verificationID),
                                            tenant: tenant, as: AuditVerifyResponse.self)
            }
            if result.intact {
                print("intact: \(result.recordsChecked) records, head \(result.headHash)")
                return 0
            }
            print("BROKEN at record \(result.firstBrokenSequence) (\(result.recordsChecked) verified before it): \(result.reason)")
            return 2
        case ("audit", "query"):
            let since = arguments.options["since"].flatMap(Int64.init).map { $0 * 1_000_000_000 }
            let page = try await bus.call(GovernanceSubjects.auditQuery, AuditQuery(agentID: arguments.options["agent"], action: arguments.options["action"],
                                                                                    result: arguments.options["result"], fromUnixNanos: since,
                                                                                    pageSize: UInt32(arguments.options["limit"] ?? "50") ?? 50),
                                          tenant: tenant, as: AuditQueryResponse.self)
            for r in page.records {
                print("#\(r.sequence) \(r.kind.rawValue) \(r.result)  \(r.agentID) \(r.action)  rules [\(r.ruleIDs.joined(separator: ","))]  \(r.decisionID)  \(r.hash.prefix(12))")
            }
        case ("agents", "list"):
            let list = try await bus.call(RegistrySubjects.list, ListAgentsRequest(capability: arguments.options["capability"],
                                                                                  status: arguments.options["status"].flatMap(AgentStatus.init(name:)),
                                                                                  container: arguments.options["container"]),
                                          tenant: tenant, as: ListAgentsResponse.self)
            for r in list.agents { print("\(r.agent.id)  \(r.status.name)  r\(r.revision)  [\(r.agent.capabilities.joined(separator: ","))]") }
        case ("agents", "register"):
            let id = try AgentID(try arguments.required("agent"))
            let agent = Agent(id: id, capabilities: (arguments.options["capability"] ?? "").split(separator: ",").map(String.init),
                              version: arguments.options["version"] ?? "", endpoint: .http(baseURL: try arguments.required("url")))
            let reply = try await bus.call(RegistrySubjects.register, RegisterAgentsRequest(container: id.container, agents: [agent]),
                                           tenant: tenant, as: RegisterAgentsResponse.self)
            print("registered \(reply.agents.map(\.id.description).joined(separator: ", "))")
        case ("trust", _):
            let scores = try await bus.call(GovernanceSubjects.trust, TrustScoresRequest(agentIDs: [try AgentID(try arguments.required("agent"))],
                                                                                        capability: arguments.options["capability"]),
                                            tenant: tenant, as: TrustScoresResponse.self)
            for s in scores.scores { print("\(s.agentID) \(s.capability ?? "overall"): \(String(format: "%.3f", s.score)) (evidence \(String(format: "%.2f", s.evidence)))") }
        default:
            throw UsageError("unknown command")
        }
        return 0
    }

    /// `--context '{"rows": 10}'` as a check context.
    func context() throws -> ContextValue {
        guard let text = arguments.options["context"] else { return .object([:]) }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw UsageError("--context must be a JSON object")
        }
        return try Self.value(object)
    }

    static func value(_ any: Any) throws -> ContextValue {
        switch any {
        case is NSNull: return .null
        case let v as Bool: return .bool(v)
        case let v as NSNumber: return .number(v.doubleValue)
        case let v as String: return .string(v)
        case let v as [Any]: return .list(try v.map(value))
        case let v as [String: Any]: return .object(try v.mapValues(value))
        default: throw UsageError("unsupported JSON value in --context")
        }
    }
}
