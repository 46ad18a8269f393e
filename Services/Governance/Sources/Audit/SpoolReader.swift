import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads framed records of one spool segment from a byte offset. A frame that
/// is incomplete or fails its CRC ends the readable part: in the active
/// segment it is still being written; in an older one it is the torn write of
/// a process that died mid-append, never acknowledged to anyone.
struct SpoolReader {
    struct Frame {
        let record: [UInt8]
        /// Offset just past this frame.
        let end: Int
    }

    static func frames(in path: String, from offset: Int, limit: Int) -> [Frame] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.readToEnd() else { return [] }
        let bytes = [UInt8](data)
        var frames: [Frame] = []
        var position = 0
        while frames.count < limit, position + AuditSpool.frameHeader <= bytes.count {
            let length = Int(UInt32(littleEndian: bytes[position..<position + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
            let crc = UInt32(littleEndian: bytes[position + 4..<position + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            let start = position + AuditSpool.frameHeader
            guard start + length <= bytes.count else { break }
            let record = Array(bytes[start..<start + length])
            guard CRC32.checksum(record) == crc else { break }
            position = start + length
            frames.append(Frame(record: record, end: offset + position))
        }
        return frames
    }

    /// The shipped offset of a segment (0 when nothing was shipped yet).
    static func shippedOffset(_ directory: String, _ segment: UInt64) -> Int {
        guard let text = try? String(contentsOfFile: offsetPath(directory, segment), encoding: .utf8) else { return 0 }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Records the shipped offset atomically (write a temporary file, rename).
    ///
    /// Without `fsync` (Foundation's `String.write(toFile:)` flushed the disk
    /// on every call, up to 50 times a second at low load): an offset lost
    /// with the machine only ships records again, and the ledger skips what
    /// it has already chained.
    static func markShipped(_ directory: String, _ segment: UInt64, offset: Int) throws {
        let path = offsetPath(directory, segment)
        let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError("open \(path).tmp: \(String(cString: strerror(errno)))") }
        let text = Array(String(offset).utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let failure = errno
        close(fd)
        guard written == text.count else { throw SpoolError("write \(path).tmp: \(String(cString: strerror(failure)))") }
        guard rename(path + ".tmp", path) == 0 else { throw SpoolError("rename \(path): \(String(cString: strerror(errno)))") }
    }

    static func remove(_ directory: String, _ segment: UInt64) {
        unlink(AuditSpool.segmentPath(directory, segment))
        unlink(offsetPath(directory, segment))
    }

    static func offsetPath(_ directory: String, _ segment: UInt64) -> String {
        directory + "/" + String(format: "%016llu", segment) + ".offset"
    }
}
