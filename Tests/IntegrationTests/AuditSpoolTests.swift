import Foundation
@testable import AgionGovernance
import Testing

/// The spool alone (files only): framing, a torn tail after a crash, one
/// process per directory, and resuming from the shipped mark.
@Suite struct AuditSpoolTests {
    func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("agion-spool-test-\(UUID().uuidString)").path
    }

    @Test func recordsComeBackInOrderAndATornTailIsIgnored() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spool: AuditSpool? = try AuditSpool(directory: dir, fsync: false)
        for i in 0..<5 { try spool!.append(Array("record-\(i)".utf8)) }
        let segment = spool!.activeSegment
        spool = nil
        // A process that died in the middle of a write leaves half a frame.
        let handle = FileHandle(forWritingAtPath: AuditSpool.segmentPath(dir, segment))!
        handle.seekToEndOfFile()
        handle.write(Data([42, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        try handle.close()
        let frames = SpoolReader.frames(in: AuditSpool.segmentPath(dir, segment), from: 0, limit: 100)
        #expect(frames.map { String(decoding: $0.record, as: UTF8.self) } == (0..<5).map { "record-\($0)" })
        // Resuming from a mark returns only what follows it.
        try SpoolReader.markShipped(dir, segment, offset: frames[2].end)
        let rest = SpoolReader.frames(in: AuditSpool.segmentPath(dir, segment), from: SpoolReader.shippedOffset(dir, segment), limit: 100)
        #expect(rest.map { String(decoding: $0.record, as: UTF8.self) } == ["record-3", "record-4"])
        // A new process writes to a new segment, never after the torn frame.
        let next = try AuditSpool(directory: dir, fsync: true)
        #expect(next.activeSegment == segment + 1)
        #expect(AuditSpool.segments(in: dir) == [segment, segment + 1])
    }

    @Test func aBatchIsWrittenAsConsecutiveFramesReadBackOneByOne() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try AuditSpool(directory: dir, fsync: false, segmentBytes: 64)
        try spool.append(Array("alone".utf8))
        try spool.append(contentsOf: (0..<4).map { Array("batched-\($0)".utf8) })
        try spool.append(contentsOf: [])
        #expect(spool.appended.load(ordering: .acquiring) == 5)
        // The batch went into one segment with the record before it; the next write starts a new one.
        let first = AuditSpool.segments(in: dir)[0]
        let frames = SpoolReader.frames(in: AuditSpool.segmentPath(dir, first), from: 0, limit: 100)
        #expect(frames.map { String(decoding: $0.record, as: UTF8.self) } == ["alone"] + (0..<4).map { "batched-\($0)" })
        #expect(spool.activeSegment == first + 1, "a segment over its size rolls over after the batch, never inside it")
    }

    @Test func aCorruptedFrameEndsTheReadablePart() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try AuditSpool(directory: dir, fsync: false)
        try spool.append(Array("good".utf8))
        try spool.append(Array("flipped".utf8))
        let path = AuditSpool.segmentPath(dir, spool.activeSegment)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(SpoolReader.frames(in: path, from: 0, limit: 10).map { String(decoding: $0.record, as: UTF8.self) } == ["good"])
    }

    @Test func oneProcessPerDirectory() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try AuditSpool(directory: dir, fsync: false)
        // flock is per open file description: a second open in this process conflicts too.
        #expect(throws: SpoolError.self) { _ = try AuditSpool(directory: dir, fsync: false) }
        withExtendedLifetime(first) {}
    }

    @Test func segmentsRotateAtTheirSize() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try AuditSpool(directory: dir, fsync: false, segmentBytes: 64)
        for _ in 0..<10 { try spool.append([UInt8](repeating: 7, count: 20)) }
        #expect(AuditSpool.segments(in: dir).count >= 4)
        #expect(AuditSpool.segments(in: dir).last == spool.activeSegment)
    }
}
