import Foundation
import Testing

/// A service that cannot start says why on one line and exits 1: no crash
/// report, no half-started process.
@Suite(.timeLimit(.minutes(1))) struct ServiceStartTests {
    @Test(arguments: [
        ("agion-registry", "AGION_LOG_LEVEL", "loud"),
        ("agion-governance", "AGION_GOVERNANCE_AUDIT_FSYNC", "maybe"),
        ("agion-governance", "AGION_GOVERNANCE_AUDIT_GATHER_MS", "0"),
        ("agion-gateway", "AGION_GATEWAY_EVENT_LOOPS", "0"),
        ("agion-gateway", "AGION_GATEWAY_JWT_HS256_SECRET", "short"),
    ])
    func aBadSettingStopsTheServiceWithItsName(_ executable: String, _ key: String, _ value: String) throws {
        let child = try ChildService(executable, environment: [key: value])
        child.process.waitUntilExit()
        let output = try String(contentsOfFile: child.logPath, encoding: .utf8)
        #expect(child.process.terminationReason == .exit)
        #expect(child.process.terminationStatus == 1)
        #expect(output.hasPrefix("\(executable): cannot start: \(key)"), "\(output)")
        #expect(!output.contains("Backtrac"), "\(output)")
    }

    /// `agion-<service> healthcheck` (what container health checks run, the
    /// images having no shell or curl) answers 0 once the service is ready,
    /// and 1, saying why, when nothing answers on its admin port.
    @Test func theHealthcheckCommandAsksTheServicesOwnAdminServer() async throws {
        let service = try ChildService("agion-registry", environment: [:])
        defer { service.terminate() }
        let admin = ["AGION_ADMIN_PORT": String(service.adminPort), "AGION_ADMIN_HOST": "0.0.0.0"]
        var status: Int32 = -1
        for _ in 0..<120 where status != 0 {
            status = try Self.healthcheck(admin).status
            if status != 0 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(status == 0, "\(service.log)")
        #expect(try Self.healthcheck(admin, "health").status == 0)
        service.terminate()
        let down = try Self.healthcheck(admin)
        #expect(down.status == 1)
        #expect(down.output.contains("/ready: connect"), "\(down.output)")
    }

    private static func healthcheck(_ environment: [String: String], _ what: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try ChildService.binary("agion-registry")
        process.arguments = ["healthcheck"] + (what.map { [$0] } ?? [])
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
