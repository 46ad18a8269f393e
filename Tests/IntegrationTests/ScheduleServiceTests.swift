import AgionBus
import AgionContract
import AgionCoordination
import AgionEnvelope
import AgionJSON
import Foundation
import MissionsCore
import Testing

/// Schedules against the real services: the shared two coordination
/// replicas (and a third that stops and starts at a firing time), the
/// tenant's clock moved on by the test (minutes pass at once), and every
/// firing checked to have started exactly one mission.
@Suite(.serialized, .timeLimit(.minutes(4)), .needsGovernance) struct ScheduleServiceTests {
    static let creator = ["agion-subject": "key:ops", "agion-role": "operator"]

    static func schedule(_ tenant: MissionTenant, cron: String = "* * * * *", overlap: String = "allow_all", catchUp: UInt64 = 150,
                         agent: String = "cron:agent", name: String = "nightly") async throws -> ProtoMessage {
        let template = try MissionDefinition.parse(try JSONValue.parse(Array(
            #"{"name": "\#(name)", "steps": [{"id": "s", "agent_id": "\#(agent)", "action": "x.run", "timeout_seconds": 3600}]}"#.utf8)), nowUnixNanos: 0)
        return try await tenant.request(CoordinationSubjects.createSchedule, ProtoMessage("agion.v1.CreateScheduleRequest", ["schedule": .message(
            ProtoMessage("agion.v1.Schedule", ["cron": .string(cron), "overlap": .string(overlap), "catch_up_window_seconds": .uint(catchUp),
                                               "definition": .message(template.proto), "name": .string(name)]))]), headers: Self.creator)
    }

    static func firings(_ tenant: MissionTenant, _ id: String) async throws -> [ProtoMessage] {
        try await tenant.call(CoordinationSubjects.scheduleFirings, ProtoMessage("agion.v1.ListScheduleFiringsRequest", ["schedule_id": .string(id)]))
            .list("firings").compactMap(\.message).reversed()
    }

    /// Moves the tenant's time to `seconds` past the schedule's next firing.
    static func passNextFiring(_ tenant: MissionTenant, _ schedule: String, by seconds: Double = 1) async throws {
        let view = try await tenant.call(CoordinationSubjects.getSchedule, ProtoMessage("agion.v1.ScheduleRequest", ["schedule_id": .string(schedule)]))
        let now = MissionsCluster.clock.now(tenant: tenant.name)
        let gap = view.int("next_fire_at_unix_nanos") - now + Int64(seconds * 1e9)
        MissionsCluster.clock.advance(tenant: tenant.name, by: .nanoseconds(max(gap, 0)))
    }

    @Test func everyFiringStartsOneMissionAcrossReplicasARestartAndADowntime() async throws {
        let tenant = try await MissionTenant(agents: ["cron:agent": .echo()])
        let created = try await Self.schedule(tenant)
        let id = created.string("schedule_id")
        #expect(created.string("overlap") == "allow_all" && created.string("time_zone") == "UTC" && created.string("created_by") == "key:ops")
        #expect(created.int("next_fire_at_unix_nanos") > MissionsCluster.clock.now(tenant: tenant.name))

        // 1. The next minute: one firing, one mission.
        try await Self.passNextFiring(tenant, id)
        try await eventually("the first firing starts its mission") { try await Self.firings(tenant, id).count == 1 }

        // 2. A third replica joins and stops right at the next firing, then another starts.
        let extra = try await ServiceReplica.start(Coordination.serviceName, build: {
            try await Coordination.build(runtime: $0, configuration: MissionsCluster.coordination)
        }, checks: Coordination.readinessChecks)
        try await Self.passNextFiring(tenant, id, by: 0.05)
        await extra.stop()
        let again = try await ServiceReplica.start(Coordination.serviceName, build: {
            try await Coordination.build(runtime: $0, configuration: MissionsCluster.coordination)
        }, checks: Coordination.readinessChecks)
        try await eventually("the second firing starts its mission") { try await Self.firings(tenant, id).count == 2 }

        // 3. Ten minutes pass at once (the services "down"): firings older than
        // the catch-up window (150 s) are skipped, the others start late.
        MissionsCluster.clock.advance(tenant: tenant.name, by: .seconds(600))
        try await eventually("the missed firings are handled") { try await Self.firings(tenant, id).count >= 12 }
        await again.stop()
        let firings = try await Self.firings(tenant, id)
        for firing in firings.dropFirst(2) {
            let age = firing.int("recorded_at_unix_nanos") - firing.int("fire_at_unix_nanos")
            #expect(firing.string("outcome") == (age > 150_000_000_000 ? "skipped_missed" : "started"), "\(firing)")
        }
        let started = firings.filter { $0.string("outcome") == "started" }
        #expect(started.count >= 4 && firings.filter { $0.string("outcome") == "skipped_missed" }.count >= 7, "\(firings.map { $0.string("outcome") })")

        // Exactly one mission per started firing, each keyed by its firing, all finished.
        let missions = Set(started.map { $0.string("mission_id") })
        #expect(missions.count == started.count && !missions.contains(""))
        let listed = try await tenant.call(CoordinationSubjects.list, ProtoMessage("agion.v1.ListMissionsRequest", ["name": .string("nightly")]))
        #expect(listed.list("missions").count == started.count, "no firing started two missions")
        for firing in started {
            let mission = try await tenant.final(firing.string("mission_id"))
            #expect(mission.string("idempotency_key") == ScheduleDecider.missionKey(schedule: id, firing: firing.int("fire_at_unix_nanos")))
            #expect(MissionTenant.status(mission) == "succeeded")
        }
        let view = try await tenant.call(CoordinationSubjects.getSchedule, ProtoMessage("agion.v1.ScheduleRequest", ["schedule_id": .string(id)]))
        #expect(view.int("fired_count") == Int64(started.count) && view.int("next_fire_at_unix_nanos") > MissionsCluster.clock.now(tenant: tenant.name))
    }

    @Test func overlapPoliciesWhileThePreviousRunStillGoes() async throws {
        let tenant = try await MissionTenant(agents: ["cron:slow": .hang])
        let skip = try await Self.schedule(tenant, overlap: "skip", agent: "cron:slow", name: "skip").string("schedule_id")
        let buffer = try await Self.schedule(tenant, overlap: "buffer_one", agent: "cron:slow", name: "buffer").string("schedule_id")
        let cancel = try await Self.schedule(tenant, overlap: "cancel_previous", agent: "cron:slow", name: "cancel").string("schedule_id")
        // Three firings, a minute apart; each schedule's first mission hangs.
        for round in 1...3 {
            try await Self.passNextFiring(tenant, skip)
            try await eventually("round \(round) is handled") {
                for id in [skip, buffer, cancel] where try await Self.firings(tenant, id).count < round { return false }
                return true
            }
        }
        #expect(try await Self.firings(tenant, skip).map { $0.string("outcome") } == ["started", "skipped_overlap", "skipped_overlap"])
        let buffered = try await Self.firings(tenant, buffer)
        #expect(buffered.map { $0.string("outcome") } == ["started", "buffered", "skipped_overlap"])
        let cancelled = try await Self.firings(tenant, cancel)
        #expect(cancelled.map { $0.string("outcome") } == ["started", "started", "started"])
        for previous in cancelled.dropLast() {
            let mission = try await tenant.final(previous.string("mission_id"))
            #expect(MissionTenant.status(mission) == "cancelled" && mission.string("outcome_reason").contains("cancel_previous"))
        }
        // The buffered firing starts once the run ahead of it ends.
        _ = try await tenant.cancel(buffered[0].string("mission_id"), reason: "done waiting")
        try await eventually("the buffered firing starts") { try await Self.firings(tenant, buffer)[1].string("outcome") == "started" }
        let view = try await tenant.call(CoordinationSubjects.getSchedule, ProtoMessage("agion.v1.ScheduleRequest", ["schedule_id": .string(buffer)]))
        let second = try await Self.firings(tenant, buffer)[1].string("mission_id")
        #expect(view.int("buffered_fire_at_unix_nanos") == 0 && view.string("last_mission_id") == second)
        for id in [skip, buffer, cancel] {
            let firings = try await Self.firings(tenant, id)
            _ = try await tenant.call(CoordinationSubjects.deleteSchedule, ProtoMessage("agion.v1.ScheduleRequest", ["schedule_id": .string(id)]))
            // Their hanging runs would hold execution's slots for the rest of the suite.
            for firing in firings where !firing.string("mission_id").isEmpty { _ = try? await tenant.cancel(firing.string("mission_id")) }
        }
    }

    @Test func pauseResumeTriggerDeleteAndRefusalsNamingTheField() async throws {
        let tenant = try await MissionTenant(agents: ["cron:agent": .echo()])
        let id = try await Self.schedule(tenant, cron: "0 9 * * mon-fri", overlap: "skip").string("schedule_id")
        func call(_ subject: String) async throws -> ProtoMessage {
            try await tenant.call(subject, ProtoMessage("agion.v1.ScheduleRequest", ["schedule_id": .string(id)]))
        }
        let fired = try await call(CoordinationSubjects.triggerSchedule)
        #expect(fired.string("outcome") == "started" && fired.bool("manual"))
        #expect(MissionTenant.status(try await tenant.final(fired.string("mission_id"))) == "succeeded")

        let paused = try await call(CoordinationSubjects.pauseSchedule)
        #expect(paused.bool("paused") && paused.int("next_fire_at_unix_nanos") == 0)
        MissionsCluster.clock.advance(tenant: tenant.name, by: .seconds(7 * 86_400))
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await Self.firings(tenant, id).count == 1, "nothing fires while paused")
        let resumed = try await call(CoordinationSubjects.resumeSchedule)
        #expect(!resumed.bool("paused") && resumed.int("next_fire_at_unix_nanos") > MissionsCluster.clock.now(tenant: tenant.name))
        _ = try await call(CoordinationSubjects.deleteSchedule)
        await #expect(throws: BusError.self) { _ = try await call(CoordinationSubjects.getSchedule) }

        func refusal(_ fields: [String: ProtoValue], template: String = #"{"steps": [{"id": "s", "agent_id": "cron:agent", "action": "x.run"}]}"#)
            async throws -> (ErrorReply.Code?, String) {
            var schedule = fields
            if schedule["definition"] == nil {
                schedule["definition"] = .message(try MissionDefinition.jsonViewProto(try JSONValue.parse(Array(template.utf8))))
            }
            do {
                _ = try await tenant.request(CoordinationSubjects.createSchedule, ProtoMessage("agion.v1.CreateScheduleRequest", [
                    "schedule": .message(ProtoMessage("agion.v1.Schedule", schedule))]), headers: Self.creator)
                return (nil, "")
            } catch let error as BusError where error.code == .remote {
                return (error.remote?.code, (error.remote?.field ?? "") + ": " + (error.remote?.message ?? ""))
            }
        }
        let cases: [([String: ProtoValue], String)] = [
            (["cron": .string("61 * * * *")], "cron: minute"),
            (["cron": .string("* * *")], "cron: five fields"),
            (["cron": .string("0 0 31 2 *")], "cron: '0 0 31 2 *' never fires"),
            (["cron": .string("* * * * *"), "time_zone": .string("Mars/Olympus")], "time_zone: "),
            (["cron": .string("* * * * *"), "time_zone": .string("../../../etc/passwd")], "time_zone: "),
            (["cron": .string("* * * * *"), "overlap": .string("queue")], "overlap: "),
            (["cron": .string("* * * * *"), "catch_up_window_seconds": .uint(100_000)], "catch_up_window_seconds: "),
        ]
        for (fields, expected) in cases {
            let (code, text) = try await refusal(fields)
            #expect(code == .invalidArgument && text.hasPrefix(expected), "\(fields): \(text)")
        }
        let (code, text) = try await refusal(["cron": .string("* * * * *")],
                                             template: #"{"deadline": "2099-01-01T00:00:00Z", "steps": [{"id": "s", "agent_id": "cron:agent", "action": "x.run"}]}"#)
        #expect(code == .invalidArgument && text.hasPrefix("definition.deadline"), "\(text)")
        let missing = try await tenant.requestError(CoordinationSubjects.getSchedule, ProtoMessage("agion.v1.ScheduleRequest", [
            "schedule_id": .string(UUID().uuidString)]))
        #expect(missing == .notFound)
        #expect(try await tenant.requestError(CoordinationSubjects.triggerSchedule, ProtoMessage("agion.v1.ScheduleRequest", [
            "schedule_id": .string("nope")])) == .invalidArgument)
    }
}

extension MissionDefinition {
    /// A definition's proto from its JSON without validating it (the service does).
    static func jsonViewProto(_ json: JSONValue) throws -> ProtoMessage {
        try MissionDefinition.parse(json, nowUnixNanos: 0).proto
    }
}

extension MissionTenant {
    /// The error code a request is refused with (nil if answered).
    func requestError(_ subject: String, _ message: ProtoMessage) async throws -> ErrorReply.Code? {
        do {
            _ = try await call(subject, message)
            return nil
        } catch let error as BusError where error.code == .remote {
            return error.remote?.code
        }
    }
}
