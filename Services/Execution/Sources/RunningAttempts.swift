import Synchronization

/// The attempts this replica runs now, by mission, so a mission that ended
/// (coordination's broadcast on `agion.execution.cancel`) has its attempts
/// stopped at once instead of running to their timeout.
final class RunningAttempts: Sendable {
    private let running = Mutex<[String: [UInt64: Task<Void, Never>]]>([:])
    private let next = Atomic<UInt64>(0)

    /// Runs `body` as a task that `stop(mission:)` cancels.
    func run(mission: String, _ body: @escaping @Sendable () async -> Void) async {
        let id = next.wrappingAdd(1, ordering: .relaxed).newValue
        let task = Task { await body() }
        running.withLock { $0[mission, default: [:]][id] = task }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        running.withLock { running in
            running[mission]?[id] = nil
            if running[mission]?.isEmpty == true { running[mission] = nil }
        }
    }

    /// Cancels every attempt of `mission` running here; returns how many.
    @discardableResult
    func stop(mission: String) -> Int {
        let tasks = running.withLock { $0[mission].map { Array($0.values) } ?? [] }
        tasks.forEach { $0.cancel() }
        return tasks.count
    }

    var count: Int { running.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
