/// The subjects an agent uses on NATS, each carrying its tenant and agent id.
///
/// An agent never talks on `agion.rpc.*`: it calls the services on
/// `agion.tenant.<tenant>.agent.<agent>.rpc.<service>.<method>`, is invoked on
/// `agion.tenant.<tenant>.agent.<agent>.invoke` and reports progress on
/// `agion.tenant.<tenant>.agent.<agent>.progress.<mission>`. With NATS
/// authentication on (docs/security.md) an agent container's credentials allow
/// only its own agents' subjects, so the subject is proof of who is calling:
/// services take the tenant and the agent from it and refuse an envelope that
/// claims otherwise. Without authentication (a developer's bus) the same
/// subjects work, unenforced.
///
/// Agent ids may hold `.`, which separates subject tokens, so the agent's token
/// is its id with each `.` written `~` (a character ids never hold).
public enum AgentSubjects {
    /// The agent id as one subject token.
    public static func token(_ agentID: String) -> String {
        agentID.contains(".") ? agentID.replacingAll(".", with: "~") : agentID
    }

    /// The agent id a token stands for.
    public static func agentID(fromToken token: Substring) -> String {
        token.contains("~") ? String(token).replacingAll("~", with: ".") : String(token)
    }

    /// The agents' subject pattern for a platform method subject:
    /// `agion.rpc.governance.check` → `agion.tenant.*.agent.*.rpc.governance.check`.
    public static func agentPattern(forPlatformSubject subject: String) -> String {
        rpcPattern(method: String(subject.dropFirst(platformPrefix.count)))
    }

    /// Where `agent` of `tenant` calls the platform method `subject`
    /// (`agion.rpc.governance.check`).
    public static func rpc(tenant: String, agent: String, platformSubject subject: String) -> String {
        rpc(tenant: tenant, agent: agent, method: String(subject.dropFirst(platformPrefix.count)))
    }

    static let platformPrefix = "agion.rpc."

    /// Where `agent` of `tenant` calls `method` (for example `governance.check`).
    public static func rpc(tenant: String, agent: String, method: String) -> String {
        "agion.tenant.\(tenant).agent.\(token(agent)).rpc.\(method)"
    }

    /// What a service subscribes to for `method` called by any agent.
    public static func rpcPattern(method: String) -> String {
        "agion.tenant.*.agent.*.rpc.\(method)"
    }

    /// Where execution invokes `agent` of `tenant`.
    public static func invoke(tenant: String, agent: String) -> String {
        "agion.tenant.\(tenant).agent.\(token(agent)).invoke"
    }

    /// Where `agent` publishes progress of a step of `mission`.
    public static func progress(tenant: String, agent: String, mission: String) -> String {
        "agion.tenant.\(tenant).agent.\(token(agent)).progress.\(mission)"
    }

    /// Every progress subject of one mission, whichever agent sends it.
    public static func progressPattern(tenant: String, mission: String) -> String {
        "agion.tenant.\(tenant).agent.*.progress.\(mission)"
    }

    /// The tenant and agent an agent subject names, or nil when `subject` is
    /// not one.
    public static func caller(of subject: String) -> (tenant: String, agent: String)? {
        let tokens = subject.split(separator: ".", maxSplits: 5, omittingEmptySubsequences: false)
        guard tokens.count >= 5, tokens[0] == "agion", tokens[1] == "tenant", tokens[3] == "agent",
              !tokens[2].isEmpty, !tokens[4].isEmpty else { return nil }
        return (String(tokens[2]), agentID(fromToken: tokens[4]))
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
