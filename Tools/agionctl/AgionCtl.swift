import ArgumentParser

// agionctl: the command line over Agion's HTTP API (docs/agionctl.md).
@main
struct AgionCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agionctl",
        abstract: "Agion's HTTP API from the command line: agents, checks, policies, trust, decisions, missions, keys.",
        discussion: "Exit codes: 0 done (for check: allowed), 1 failed, 2 usage, 3 invalid request, 4 not authenticated or not allowed, "
            + "5 not found, 6 conflict, 7 unavailable or rate limited (retry), 10 check denied, 11 check requires approval.",
        subcommands: [Agents.self, Check.self, Policies.self, Trust.self, Decisions.self, Audit.self, Missions.self, DeadLetters.self, Approvals.self, Schedules.self, Keys.self,
                      NATSCredentials.self, Tenants.self])
}
