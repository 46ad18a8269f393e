import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The replica's local write-ahead log of decisions.
///
/// A check is answered only after its audit record is in this file: one
/// `write(2)` of a framed record (length, CRC-32, bytes) while a mutex is held.
/// That survives the process being killed at any point after the reply (the
/// data is in the kernel); with `fsync` it also survives the machine losing
/// power, at the cost of a disk flush per decision. `AuditShipper` moves the
/// records into PostgreSQL's hash chain and deletes segments once shipped; a
/// replica that restarts on the same directory ships what its predecessor left.
///
/// One process per directory (an exclusive `flock` on `spool.lock`).
final class AuditSpool: @unchecked Sendable {
    // @unchecked: the file descriptors and counters are guarded by `state`.
    struct State {
        var fd: Int32
        var segment: UInt64
        var size: Int
    }

    let directory: String
    let fsync: Bool
    let segmentBytes: Int
    private let lockFD: Int32
    private let state: Mutex<State>
    /// Incremented on every append, so the shipper can wait for work.
    let appended = Atomic<UInt64>(0)

    static let frameHeader = 8

    init(directory: String, fsync: Bool, segmentBytes: Int = 8 << 20) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.fsync = fsync
        self.segmentBytes = segmentBytes
        lockFD = open(directory + "/spool.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else { throw SpoolError("cannot open \(directory)/spool.lock: \(String(cString: strerror(errno)))") }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            close(lockFD)
            throw SpoolError("another governance process uses the audit spool \(directory); give each replica its own AGION_GOVERNANCE_SPOOL_DIR")
        }
        // Always start a new segment: earlier ones may end in a torn frame.
        let next = (Self.segments(in: directory).last ?? 0) + 1
        let fd = try Self.openSegment(directory, next)
        state = Mutex(State(fd: fd, segment: next, size: 0))
    }

    deinit {
        _ = state.withLock { close($0.fd) }
        flock(lockFD, LOCK_UN)
        close(lockFD)
    }

    /// Appends one record; when this returns, the record survives a crash of
    /// this process (and of the machine when `fsync` is on).
    func append(_ record: [UInt8]) throws {
        try append(contentsOf: [record])
    }

    /// Appends records in order with one `write(2)` (and one `fsync`): a
    /// batch of checks costs one system call, not one per decision.
    func append(contentsOf records: [[UInt8]]) throws {
        guard !records.isEmpty else { return }
        var frames = [UInt8]()
        frames.reserveCapacity(records.reduce(0) { $0 + Self.frameHeader + $1.count })
        for record in records {
            withUnsafeBytes(of: UInt32(record.count).littleEndian) { frames.append(contentsOf: $0) }
            withUnsafeBytes(of: CRC32.checksum(record).littleEndian) { frames.append(contentsOf: $0) }
            frames += record
        }
        try state.withLock { state in
            try Self.writeAll(state.fd, frames)
            if fsync, Glibc.fsync(state.fd) != 0 { throw SpoolError("fsync: \(String(cString: strerror(errno)))") }
            state.size += frames.count
            if state.size >= segmentBytes {
                let next = state.segment + 1
                let fd = try Self.openSegment(directory, next)
                close(state.fd)
                state = State(fd: fd, segment: next, size: 0)
            }
        }
        appended.add(UInt64(records.count), ordering: .releasing)
    }

    /// The segment being written (the shipper may read it up to its end, but
    /// must not delete it).
    var activeSegment: UInt64 { state.withLock { $0.segment } }

    /// Starts a new segment if the active one holds anything, so a shutdown can
    /// ship everything and leave an empty directory.
    func rotate() throws {
        try state.withLock { state in
            guard state.size > 0 else { return }
            let next = state.segment + 1
            let fd = try Self.openSegment(directory, next)
            close(state.fd)
            state = State(fd: fd, segment: next, size: 0)
        }
    }

    static func segmentPath(_ directory: String, _ number: UInt64) -> String {
        directory + "/" + String(format: "%016llu", number) + ".spool"
    }

    /// Segment numbers present, ascending.
    static func segments(in directory: String) -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in name.hasSuffix(".spool") ? UInt64(name.dropLast(6)) : nil }.sorted()
    }

    private static func openSegment(_ directory: String, _ number: UInt64) throws -> Int32 {
        let fd = open(segmentPath(directory, number), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError("cannot create segment \(number) in \(directory): \(String(cString: strerror(errno)))") }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError("write: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }
}

struct SpoolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
