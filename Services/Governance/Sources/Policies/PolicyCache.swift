import AgionBus
import AgionContract
import AgionEnvelope
import Foundation
import GovernanceCore
import Logging
import ServiceLifecycle
import Synchronization

/// The active policy of each tenant this replica has served, compiled, in
/// memory: a check reads it under a lock without I/O. A tenant's policy is
/// loaded on its first request. A replica that activates a revision tells the
/// others at once (`agion.governance.policy.changed`, core NATS, every replica
/// listens); `run` also polls for activations, so a lost notification still
/// takes effect everywhere within one poll interval.
final class PolicyCache: Service, Sendable {
    /// What a tenant has: its active revision, or none (`policy == nil`).
    /// `known` is false for a tenant that never stored a policy at all.
    struct Entry: Sendable {
        let revision: UInt32
        let policy: CompiledPolicy?
        var known = true
    }

    let store: PolicyStore
    let bus: Bus
    let interval: Duration
    let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])
    private let lastChange = Atomic<Int64>(0)
    static let changedSubject = "agion.governance.policy.changed"

    init(store: PolicyStore, bus: Bus, interval: Duration, logger: Logger) {
        self.store = store
        self.bus = bus
        self.interval = interval
        self.logger = logger
    }

    /// After a put or an activation: reload here and tell the other replicas.
    func activated(tenant: String) async throws {
        try await reload(tenant)
        do {
            try bus.publish(Self.changedSubject, Envelope(type: "agion.governance.policy_changed", tenant: tenant))
        } catch {
            logger.warning("governance.policy_notify_failed", metadata: ["error": "\(error)"])
        }
    }

    func cached(_ tenant: String) -> Entry? { entries.withLock { $0[tenant] } }

    /// The tenant's entry, loading it from PostgreSQL if this replica has not yet.
    func entry(for tenant: String) async throws -> Entry {
        if let entry = cached(tenant) { return entry }
        return try await reload(tenant)
    }

    @discardableResult
    func reload(_ tenant: String) async throws -> Entry {
        let entry: Entry
        if let (revision, document) = try await store.active(tenant: tenant) {
            do {
                entry = Entry(revision: revision, policy: CompiledPolicy(try PolicyParser.parse(document)))
            } catch {
                // Stored documents were validated on put; failing now means the
                // parser changed. Deny rather than guess.
                logger.error("governance.policy_unreadable", metadata: ["tenant": "\(tenant)", "revision": "\(revision)", "error": "\(error)"])
                entry = Entry(revision: revision, policy: nil)
            }
        } else {
            entry = Entry(revision: 0, policy: nil, known: try await store.hasRevisions(tenant: tenant))
        }
        // An unknown tenant is not remembered: its first policy may come through
        // any replica, and an error path may afford the lookup.
        entries.withLock { if entry.known { $0[tenant] = entry } else { $0[tenant] = nil } }
        return entry
    }

    /// Takes note of the latest activation so the poll starts from now.
    func start() async throws {
        let (_, latest) = try await store.changes(after: 0)
        lastChange.store(latest, ordering: .relaxed)
    }

    func run() async throws {
        // Every replica hears every activation at once; the poll catches what
        // a notification lost on the way would have said.
        let changes = try bus.subscribe(Self.changedSubject)
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in changes where self.cached(change.tenant) != nil {
                        do { try await self.reload(change.tenant) } catch {
                            self.logger.warning("governance.policy_reload_failed", metadata: ["tenant": "\(change.tenant)", "error": "\(error)"])
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await self.poll() } catch { self.logger.warning("governance.policy_poll_failed", metadata: ["error": "\(error)"]) }
                        try? await Task.sleep(for: self.interval)
                    }
                }
            }
        }
        changes.close()
    }

    func poll() async throws {
        let (tenants, latest) = try await store.changes(after: lastChange.load(ordering: .relaxed))
        for tenant in tenants where cached(tenant) != nil {
            let entry = try await reload(tenant)
            logger.info("governance.policy_reloaded", metadata: ["tenant": "\(tenant)", "revision": "\(entry.revision)"])
        }
        lastChange.store(latest, ordering: .relaxed)
    }
}
