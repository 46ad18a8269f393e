import Foundation
import Testing

/// A service that cannot start says why on one line and exits 1: no crash
/// report, no half-started process.
@Suite(.timeLimit(.minutes(1))) struct ServiceStartTests {
    @Test(arguments: [
        ("agion-registry", "AGION_LOG_LEVEL", "loud"),
        ("agion-governance", "AGION_GOVERNANCE_AUDIT_FSYNC", "maybe"),
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
}
