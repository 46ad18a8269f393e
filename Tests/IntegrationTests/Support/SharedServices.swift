import Testing

/// The governance replicas are shared by every suite of the test process.
/// Failure tests take them away for a while (a child process must be the only
/// replica answering); suites that merely need governance to answer, such as
/// the gateway's, would see 503s meanwhile. Failure tests hold this
/// exclusively, the others shared (a readers-writer lock, writers first).
actor SharedServicesLock {
    static let governance = SharedServicesLock()
    private var readers = 0
    private var writer = false
    private var writersWaiting = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquireShared() async {
        while writer || writersWaiting > 0 { await wait() }
        readers += 1
    }

    func releaseShared() {
        readers -= 1
        wakeAll()
    }

    func acquireExclusive() async {
        writersWaiting += 1
        while writer || readers > 0 { await wait() }
        writersWaiting -= 1
        writer = true
    }

    func releaseExclusive() {
        writer = false
        wakeAll()
    }

    private func wait() async { await withCheckedContinuation { waiters.append($0) } }

    private func wakeAll() {
        let woken = waiters
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }
}

/// Runs each test of a suite (or one test) holding the governance replicas shared or exclusively.
struct GovernanceAccess: TestTrait, SuiteTrait, TestScoping {
    let exclusive: Bool
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // A suite's own scope is entered once; the lock is taken per test.
        guard !test.isSuite else { try await function(); return }
        let lock = SharedServicesLock.governance
        if exclusive { await lock.acquireExclusive() } else { await lock.acquireShared() }
        do {
            try await function()
        } catch {
            if exclusive { await lock.releaseExclusive() } else { await lock.releaseShared() }
            throw error
        }
        if exclusive { await lock.releaseExclusive() } else { await lock.releaseShared() }
    }
}

extension Trait where Self == GovernanceAccess {
    /// The test takes the shared governance replicas away.
    static var takesGovernanceDown: Self { GovernanceAccess(exclusive: true) }
    /// The tests need the shared governance replicas answering.
    static var needsGovernance: Self { GovernanceAccess(exclusive: false) }
}
