/// The audit trail of a tenant is a hash chain: each record's hash is
/// SHA-256 of the previous record's hash, the record's sequence number (8
/// bytes, big-endian) and the record's bytes; the first record chains from 32
/// zero bytes. Changing, removing or reordering
/// any record changes every hash after it, so `verify` finds the first link
/// that does not hold.
public enum AuditChain {
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func link(previous: [UInt8], sequence: Int64, record: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(previous)
        hasher.update(withUnsafeBytes(of: UInt64(bitPattern: sequence).bigEndian) { Array($0) })
        hasher.update(record)
        return hasher.finalize()
    }

    /// One stored link: its position, the record's bytes and the stored hash.
    public struct Link: Sendable {
        public let sequence: Int64
        public let record: [UInt8]
        public let hash: [UInt8]

        public init(sequence: Int64, record: [UInt8], hash: [UInt8]) {
            self.sequence = sequence
            self.record = record
            self.hash = hash
        }
    }

    public struct Break: Sendable, Hashable, Error {
        public let sequence: Int64
        public let reason: String

        public init(sequence: Int64, reason: String) {
            self.sequence = sequence
            self.reason = reason
        }
    }

    /// Checks links in order, continuing from `previous` (the hash before the
    /// first link) and expecting `expectedSequence` first. Returns the hash of
    /// the last link, or the first break.
    public static func verify(_ links: [Link], previous: [UInt8], expectedSequence: Int64) -> Result<[UInt8], Break> {
        var previous = previous, expected = expectedSequence
        for link in links {
            guard link.sequence == expected else {
                return .failure(Break(sequence: expected, reason: "record \(expected) is missing (found \(link.sequence) next)"))
            }
            guard Self.link(previous: previous, sequence: link.sequence, record: link.record) == link.hash else {
                return .failure(Break(sequence: link.sequence, reason: "record \(link.sequence) does not match its hash: it or an earlier record was altered"))
            }
            previous = link.hash
            expected += 1
        }
        return .success(previous)
    }
}
