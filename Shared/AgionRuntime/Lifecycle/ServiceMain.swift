import Foundation

/// The frame of a service's `main`: a service that cannot start (a setting
/// that is set but invalid, a database that stays unreachable through its
/// migrations), or that stops because a part of it failed, says why on one
/// line of standard error and exits with status 1, instead of a crash report
/// from an error thrown at top level.
public enum ServiceMain {
    public static func run(_ serviceName: String, _ body: () async throws -> Void) async -> Never {
        do {
            try await body()
            exit(0)
        } catch let failure as RunFailure {
            stopped(serviceName, failure.underlying)
        } catch {
            fail(serviceName, error)
        }
    }

    /// Reports `error` as the reason `serviceName` did not start, and exits.
    public static func fail(_ serviceName: String, _ error: any Error) -> Never {
        FileHandle.standardError.write(Data("agion-\(serviceName): cannot start: \(error)\n".utf8))
        exit(1)
    }

    /// Reports `error` as the reason a running `serviceName` stopped, and
    /// exits 1 so a supervisor (Kubernetes, `scripts/supervise.sh`) restarts it.
    static func stopped(_ serviceName: String, _ error: any Error) -> Never {
        FileHandle.standardError.write(Data("agion-\(serviceName): stopped: \(error)\n".utf8))
        exit(1)
    }

    /// A failure after the service started, as opposed to one that kept it from starting.
    struct RunFailure: Error {
        let underlying: any Error
    }
}
