import Foundation
import MissionsCore
import Synchronization

/// The missions this replica last wrote, as it wrote them: the next decision
/// about one of them starts from here instead of reading and parsing its row.
/// A state another replica has moved on since is stale, and that is safe:
/// the append expects the position it was decided on, so a stale decision
/// appends nothing and is made again on the state read from the database.
final class MissionStateCache: Sendable {
    private let entries = Mutex<[UUID: (state: MissionState, tenant: String, used: UInt64)]>([:])
    private let clock = Atomic<UInt64>(0)
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func get(_ mission: UUID, tenant: String) -> MissionState? {
        let tick = clock.add(1, ordering: .relaxed).newValue
        return entries.withLock { entries in
            guard var entry = entries[mission], entry.tenant == tenant else { return nil }
            entry.used = tick
            entries[mission] = entry
            return entry.state
        }
    }

    /// Keeps `state` (just written); a final mission is dropped, as nothing
    /// but a replay decides about it again.
    func put(_ state: MissionState, tenant: String) {
        guard let id = UUID(uuidString: state.id) else { return }
        let tick = clock.add(1, ordering: .relaxed).newValue
        entries.withLock { entries in
            if state.status.isFinal {
                entries[id] = nil
                return
            }
            entries[id] = (state, tenant, tick)
            if entries.count > capacity {
                // Evict the least recently used tenth in one go (rarely: only
                // with more missions running than the capacity).
                let cutoff = entries.values.map(\.used).sorted()[capacity / 10]
                entries = entries.filter { $0.value.used > cutoff }
            }
        }
    }

    func forget(_ mission: UUID) { entries.withLock { $0[mission] = nil } }
}

extension Optional where Wrapped: Sendable {
    /// The value, or what `fallback` gives when there is none.
    func asyncOr(_ fallback: () async throws -> Wrapped?) async rethrows -> Wrapped? {
        if let self { return self }
        return try await fallback()
    }
}
