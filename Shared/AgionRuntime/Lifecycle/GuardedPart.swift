import Logging
import ServiceLifecycle

/// One part of a service's group (a responder, a consumer, the admin server),
/// watched: a part that throws, or returns while the group is neither
/// shutting down nor cancelled, is a failure. It is logged at error level with
/// the part's name (ServiceLifecycle only logs it at debug), and the group
/// then shuts down gracefully (`ServiceRuntime.serviceGroup`).
struct GuardedPart: Service, CustomStringConvertible {
    let part: any Service
    let logger: Logger

    init(_ part: any Service, logger: Logger) {
        self.part = part
        self.logger = logger
    }

    var description: String { "\(type(of: part))" }

    func run() async throws {
        do {
            try await part.run()
        } catch {
            if !Task.isCancelled {
                logger.error("service.part_failed", metadata: ["service.part": "\(description)", "error": "\(error)"])
            }
            throw error
        }
        guard Task.isShuttingDownGracefully || Task.isCancelled else {
            logger.error("service.part_failed", metadata: ["service.part": "\(description)", "error": "returned while the service was running"])
            throw PartFinishedUnexpectedly(part: description)
        }
    }
}

/// A part of a service stopped although nothing asked it to.
public struct PartFinishedUnexpectedly: Error, CustomStringConvertible {
    public let part: String
    public var description: String { "\(part) stopped unexpectedly" }
}
