import Foundation

/// A service executable from the same build directory as this benchmark.
final class ServiceProcess: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time.
    let process = Process()
    let name: String

    private init(name: String) { self.name = name }

    static func start(_ name: String, environment: [String: String]) throws -> ServiceProcess {
        let service = ServiceProcess(name: name)
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        service.process.executableURL = directory.appendingPathComponent(name)
        service.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        service.process.standardOutput = FileHandle.standardError
        try service.process.run()
        return service
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Resident memory now, in MiB.
    func residentMegabytes() -> Int { status("VmRSS:") }

    /// The most resident memory it has had, in MiB.
    func peakMegabytes() -> Int { status("VmHWM:") }

    /// CPU time used so far (user + system), in microseconds.
    func cpuMicros() -> Int { processCPUMicros(pid: process.processIdentifier) }

    private func status(_ key: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1_024
    }
}
