import AgionBus
import AgionCache
import AgionJSON
import AgionStore
import Foundation

/// One dependency `/ready` asks about. A failing required check makes the
/// service not ready (503); a failing optional one makes it `degraded` (200),
/// for dependencies the service can answer without (for example Redis when
/// PostgreSQL holds the same data). A check that fails says why, so an
/// operator reading `/ready` during an outage sees what is wrong and since when.
public struct ReadinessCheck: Sendable {
    /// What a probe found.
    public enum Outcome: Sendable, Equatable {
        case up
        /// Down, with a reason for humans ("disconnected for 12.0 s; reconnecting").
        case down(String)
    }

    public let name: String
    public let required: Bool
    public let probe: @Sendable () async -> Outcome

    public init(name: String, required: Bool = true, probe: @escaping @Sendable () async -> Outcome) {
        self.name = name
        self.required = required
        self.probe = probe
    }

    /// A check whose probe only says up or down; `reason` explains a down.
    public init(name: String, required: Bool = true, reason: String, probe: @escaping @Sendable () async -> Bool) {
        self.init(name: name, required: required) { await probe() ? .up : .down(reason) }
    }

    /// NATS is connected (not reconnecting).
    public static func nats(_ bus: Bus, required: Bool = true) -> ReadinessCheck {
        ReadinessCheck(name: "nats", required: required) {
            guard !bus.isConnected else { return .up }
            guard let down = bus.link.downFor else { return .down("not connected; reconnecting") }
            let seconds = Double(down.components.seconds) + Double(down.components.attoseconds) / 1e18
            return .down("disconnected for \(String(format: "%.1f", seconds)) s; reconnecting")
        }
    }

    /// Redis answers PING.
    public static func redis(_ pool: RedisPool, required: Bool = true) -> ReadinessCheck {
        ReadinessCheck(name: "redis", required: required) {
            do {
                let reply = try await pool.command(["PING"])
                return reply == .status("PONG") ? .up : .down("PING answered \(reply)")
            } catch {
                return .down("\(error)")
            }
        }
    }

    /// PostgreSQL answers `SELECT 1`.
    public static func postgres(_ pool: ConnectionPool, required: Bool = true) -> ReadinessCheck {
        ReadinessCheck(name: "postgres", required: required) {
            do {
                let rows = try await pool.withConnection { try await $0.query("SELECT 1 AS ok", prepared: true).count }
                return rows == 1 ? .up : .down("SELECT 1 returned \(rows) rows")
            } catch {
                return .down("\(error)")
            }
        }
    }
}

/// The outcome of asking every check, concurrently, each within `timeout`.
struct Readiness: Sendable {
    enum Status: String { case ready, degraded, notReady = "not_ready" }
    let status: Status
    let checks: [(name: String, outcome: ReadinessCheck.Outcome)]

    static func evaluate(_ checks: [ReadinessCheck], timeout: Duration) async -> Readiness {
        let results = await withTaskGroup(of: (Int, ReadinessCheck.Outcome).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    await withTaskGroup(of: ReadinessCheck.Outcome?.self) { race in
                        race.addTask { await check.probe() }
                        race.addTask { try? await Task.sleep(for: timeout); return nil }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return (index, first ?? .down("no answer within \(timeout)"))
                    }
                }
            }
            var outcomes = Array(repeating: ReadinessCheck.Outcome.up, count: checks.count)
            for await (index, result) in group { outcomes[index] = result }
            return outcomes
        }
        let requiredDown = zip(checks, results).contains { $0.required && $1 != .up }
        let optionalDown = zip(checks, results).contains { !$0.required && $1 != .up }
        return Readiness(status: requiredDown ? .notReady : optionalDown ? .degraded : .ready,
                         checks: zip(checks, results).map { ($0.name, $1) })
    }

    /// `{"status":…,"checks":{"nats":"up",…},"reasons":{"nats":"…"}}`; `reasons`
    /// only when something is down.
    var json: String {
        var body: [String: JSONValue] = [
            "status": .string(status.rawValue),
            "checks": .object(Dictionary(checks.map { ($0.name, .string($0.outcome == .up ? "up" : "down")) }, uniquingKeysWith: { $1 })),
        ]
        let reasons = checks.compactMap { check -> (String, JSONValue)? in
            guard case .down(let reason) = check.outcome else { return nil }
            return (check.name, .string(reason))
        }
        if !reasons.isEmpty { body["reasons"] = .object(Dictionary(reasons, uniquingKeysWith: { $1 })) }
        return JSONValue.object(body).serializedString
    }
}
