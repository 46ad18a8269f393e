import Logging
import Metrics
import Prometheus
import Synchronization

/// Process-wide logging and metrics set-up: once per process, from `main`.
public enum RuntimeBootstrap {
    private static let done = Mutex(false)
    /// The registry `/metrics` renders; metrics made through swift-metrics land here.
    public static let registry = PrometheusCollectorRegistry()

    /// Bootstraps swift-log (JSON or text) and swift-metrics (Prometheus). Later
    /// calls do nothing, so tests and tools may call it freely.
    public static func bootstrap(_ configuration: ServiceConfiguration) {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level = configuration.logLevel
        switch configuration.logFormat {
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        case .text: LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
