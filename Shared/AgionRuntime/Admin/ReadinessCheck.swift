import AgionBus
import AgionCache
import AgionStore

/// One dependency `/ready` asks about. A failing required check makes the
/// service not ready (503); a failing optional one makes it `degraded` (200),
/// for dependencies the service can answer without (for example Redis when
/// PostgreSQL holds the same data).
public struct ReadinessCheck: Sendable {
    public let name: String
    public let required: Bool
    public let probe: @Sendable () async -> Bool

    public init(name: String, required: Bool = true, probe: @escaping @Sendable () async -> Bool) {
        self.name = name
        self.required = required
        self.probe = probe
    }

    /// NATS is connected (not reconnecting).
    public static func nats(_ bus: Bus, required: Bool = true) -> ReadinessCheck {
        ReadinessCheck(name: "nats", required: required) { bus.isConnected }
    }

    /// Redis answers PING.
    public static func redis(_ pool: RedisPool, required: Bool = true) -> ReadinessCheck {
        ReadinessCheck(name: "redis", required: required) { (try? await pool.command(["PING"])) == .status("PONG") }
    }

    /// PostgreSQL answers `SELECT 1`.
    public static func postgres(_ pool: ConnectionPool, required: Bool = true) -> ReadinessCheck {
        ReadinessCheck(name: "postgres", required: required) {
            (try? await pool.withConnection { try await $0.query("SELECT 1 AS ok", prepared: true).count }) == 1
        }
    }
}

/// The outcome of asking every check, concurrently, each within `timeout`.
struct Readiness: Sendable {
    enum Status: String { case ready, degraded, notReady = "not_ready" }
    let status: Status
    let checks: [(name: String, up: Bool)]

    static func evaluate(_ checks: [ReadinessCheck], timeout: Duration) async -> Readiness {
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    await withTaskGroup(of: Bool?.self) { race in
                        race.addTask { await check.probe() }
                        race.addTask { try? await Task.sleep(for: timeout); return nil }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return (index, first ?? false)
                    }
                }
            }
            var up = Array(repeating: false, count: checks.count)
            for await (index, result) in group { up[index] = result }
            return up
        }
        let requiredDown = zip(checks, results).contains { $0.required && !$1 }
        let optionalDown = zip(checks, results).contains { !$0.required && !$1 }
        return Readiness(status: requiredDown ? .notReady : optionalDown ? .degraded : .ready,
                         checks: zip(checks, results).map { ($0.name, $1) })
    }

    var json: String {
        let fields = checks.map { "\"\($0.name)\":\"\($0.up ? "up" : "down")\"" }.joined(separator: ",")
        return "{\"status\":\"\(status.rawValue)\",\"checks\":{\(fields)}}"
    }
}
