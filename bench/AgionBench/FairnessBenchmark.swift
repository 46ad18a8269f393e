import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import MissionsCore

/// missions.fairness: a flooding tenant submits 1,000 missions of 10
/// independent steps (10,000 steps) at once; a quiet tenant runs one-step
/// missions one after another, first alone, then during the flood. The
/// quiet tenant's latency during the flood against alone says how much the
/// flood delays it (its steps are handed out at the next free slot, not
/// behind the flood's backlog: FairDispatch); the rest is the machine's CPU,
/// which the flood saturates.
enum FairnessBenchmark {
    static func run(bus: Bus, tenant flood: String, runner: MissionBenchmark.Runner) async throws {
        let quiet = "bench-q-\(UInt32.random(in: 0...UInt32.max))"
        // Its own agents: a NATS agent is served on its tenant's subject.
        let agents = try await NoOpAgents.start(bus: bus, tenant: quiet)
        defer { agents.stop() }
        try await MissionBenchmark.prepare(tenant: quiet, bus: bus, agents: agents)
        let quietFinals = try FinalEvents(bus: bus, tenant: quiet)
        defer { quietFinals.close() }
        let quietRunner = MissionBenchmark.Runner(bus: bus, tenant: quiet, finals: quietFinals)
        let single = MissionBenchmark.definition([MissionBenchmark.step("s", agent: MissionBenchmark.httpAgent, dependsOn: [], input: ["n": 1])])
        _ = try await quietRunner.sequential(single, count: 5)
        let alone = try await quietRunner.sequential(single, count: 30)

        let missions = Int(ProcessInfo.processInfo.environment["AGION_BENCH_FAIRNESS_MISSIONS"] ?? "") ?? 1_000
        let wide = MissionBenchmark.definition((0..<10).map {
            MissionBenchmark.step("p\($0)", agent: MissionBenchmark.natsAgent, dependsOn: [], input: ["i": .integer(Int64($0))])
        })
        let started = nowNanos()
        let flooding = Task { try await runner.burst(wide, count: missions, inFlight: 64) }
        // Once the flood's backlog is there, the quiet tenant's missions, one at a time.
        try await Task.sleep(for: .seconds(3))
        // Each quiet mission timed in two parts: its submission's reply, then its end.
        var during: [UInt64] = [], submits: [UInt64] = []
        for _ in 0..<30 {
            let started = nowNanos()
            let reply = try await bus.request(CoordinationSubjects.submit, Envelope(type: "agion.v1.SubmitMissionRequest", tenant: quiet, payload: try ProtoSchema.encode(
                ProtoMessage("agion.v1.SubmitMissionRequest", ["definition": .message(single)]))), timeout: .seconds(60))
            submits.append(nowNanos() - started)
            let mission = try ProtoSchema.decode("agion.v1.Mission", from: reply.payload).string("mission_id")
            guard await quietFinals.wait(mission) == "succeeded" else { throw BenchError("quiet mission \(mission) failed") }
            during.append(nowNanos() - started)
        }
        during.sort()
        submits.sort()
        let floodSamples = try await flooding.value
        let elapsed = Double(nowNanos() - started) / 1e9
        BenchLine("missions.fairness").with("flood_missions", missions).with("flood_steps", missions * 10)
            .with("flood_steps_per_s", Int(Double(missions * 10) / elapsed)).with("flood_p50_us", percentileMicros(floodSamples, 0.50))
            .with("quiet_missions", 30)
            .with("alone_p50_us", percentileMicros(alone, 0.50)).with("alone_p99_us", percentileMicros(alone, 0.99))
            .with("p50_us", percentileMicros(during, 0.50)).with("p99_us", percentileMicros(during, 0.99))
            .with("p50_ratio", Double(percentileMicros(during, 0.50)) / Double(max(percentileMicros(alone, 0.50), 1)))
            .with("submit_p50_us", percentileMicros(submits, 0.50)).with("submit_p99_us", percentileMicros(submits, 0.99)).print()
    }
}
