import AgionBus
import AgionCache
import AgionContract
import AgionEnvelope
import AgionGovernance
@testable import AgionRuntime
import Foundation
import Testing

/// Failures: a replica killed with SIGKILL, PostgreSQL unreachable, Redis
/// down. Part of the serialized governance suite, because some take the shared
/// replicas down.
extension GovernanceServiceTests {
    func childGovernance(spool: String, postgresPort: Int) throws -> ChildService {
        try ChildService("agion-governance", environment: [
            "AGION_GOVERNANCE_SCHEMA": GovernanceCluster.schema, "AGION_GOVERNANCE_SPOOL_DIR": spool,
            "AGION_GOVERNANCE_CACHE_PREFIX": GovernanceCluster.cachePrefix, "AGION_POSTGRES_PORT": String(postgresPort),
        ])
    }

    @Test(.takesGovernanceDown) func everyAnsweredDecisionIsAuditedEvenIfTheReplicaIsKilledRightAfter() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("survivor", bus)
        // The child must be the only governance replica answering.
        await GovernanceCluster.shared.stop()
        let spool = GovernanceCluster.spoolDirectory("child-\(tenant)")
        let proxy = try TCPProxy(target: TestEnvironment.postgresPort)
        var child = try childGovernance(spool: spool, postgresPort: proxy.port)
        try await eventually(timeout: .seconds(30), "the child serves checks") {
            (try? await check(CheckRequest(agentID: agent, action: "warmup"), bus))?.effect == .allow
        }
        // With PostgreSQL cut off nothing can be shipped: every decision below
        // exists only in the child's spool when it is killed. It fails closed.
        proxy.cut()
        try await eventually("the child notices PostgreSQL is gone") {
            try await check(CheckRequest(agentID: agent, action: "probe"), bus).effect == .deny
        }
        var answered: [String] = []
        try await withThrowingTaskGroup(of: Decision.self) { group in
            for i in 0..<50 { group.addTask { try await check(CheckRequest(agentID: agent, action: "burst.\(i)"), bus) } }
            for try await decision in group {
                // Marked so a caller can tell "governance could not decide" from "a rule says no".
                #expect(decision.failClosed)
                answered.append(decision.decisionID)
            }
        }
        child.kill()
        #expect(answered.count == 50)

        try proxy.restore()
        child = try childGovernance(spool: spool, postgresPort: proxy.port)
        defer { child.terminate() }
        try await eventually(timeout: .seconds(30), "the restarted replica shipped its predecessor's spool") {
            guard let records = try? await audit(AuditQuery(agentID: agent.description, pageSize: 1_000), bus) else { return false }
            return Set(answered).isSubset(of: Set(records.map(\.decisionID)))
        }
        let burst = try await audit(AuditQuery(agentID: agent.description, pageSize: 1_000), bus).filter { answered.contains($0.decisionID) }
        #expect(burst.allSatisfy { $0.result == "deny" && $0.reasons == ["governance's database is unavailable: fail closed"] })
        let verified = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(verified.intact)
    }

    @Test(.takesGovernanceDown) func aPolicyMayChooseToAllowWhilePostgreSQLIsDown() async throws {
        let bus = try await governance()
        try await putPolicy("defaults: {when_unavailable: allow}\nrules: [{id: all, effect: allow}]", bus)
        let agent = try await register("tolerant", bus)
        await GovernanceCluster.shared.stop()
        let proxy = try TCPProxy(target: TestEnvironment.postgresPort)
        let replica = try await GovernanceCluster.startReplica(spool: GovernanceCluster.spoolDirectory("tolerant-\(tenant)")) {
            $0.store.port = proxy.port
        }
        try await eventually("the replica serves") { (try? await check(CheckRequest(agentID: agent, action: "a"), bus))?.effect == .allow }
        proxy.cut()
        try await eventually("the replica notices") {
            try await check(CheckRequest(agentID: agent, action: "a"), bus).reasons.contains("governance's database is unavailable; the policy allows deciding without it")
        }
        let tolerated = try await check(CheckRequest(agentID: agent, action: "a"), bus)
        #expect(tolerated.effect == .allow && !tolerated.failClosed)
        // Requests that need the database answer `unavailable`, and nothing crashes.
        let report = await remoteError {
            _ = try await bus.call(GovernanceSubjects.report, ExecutionReport(agentID: agent, outcome: .success), tenant: tenant, as: TrustScore.self)
        }
        #expect(report?.code == ErrorReply.Code.unavailable)
        #expect(report?.retriable == true)
        try proxy.restore()
        await replica.stop()
    }

    @Test(.takesGovernanceDown) func withRedisDownChecksStillAnswerFromPostgreSQLAndReadinessIsDegraded() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: trusted, effect: allow, min_trust: 0.55}]", bus)
        let agent = try await register("steady", bus)
        for _ in 0..<2 {
            _ = try await bus.call(GovernanceSubjects.report, ExecutionReport(agentID: agent, outcome: .success), tenant: tenant, as: TrustScore.self)
        }
        await GovernanceCluster.shared.stop()
        let redis = try PrivateServer.redis()
        try await redis.start()
        let replica = try await GovernanceCluster.startReplica(spool: GovernanceCluster.spoolDirectory("redisless-\(tenant)")) {
            $0.redis.port = redis.port
        }
        try await eventually("the replica serves") { (try? await check(CheckRequest(agentID: agent, action: "a"), bus))?.effect == .allow }
        redis.stop()
        for _ in 0..<5 {
            let decision = try await check(CheckRequest(agentID: agent, action: "a"), bus)
            #expect(decision.effect == .allow)
            #expect(decision.trustScore > 0.55)
        }
        let readiness = await Readiness.evaluate(Governance.readinessChecks(replica.runtime), timeout: .seconds(2))
        #expect(readiness.status == .degraded)
        await replica.stop()
    }
}
