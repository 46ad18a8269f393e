import AgionBus
import AgionEnvelope
import AgionJSON
import Crypto

/// Step outputs too large for events, stored once per mission and content
/// addressed, in the JetStream stream `AGION_OUTPUTS` (file storage, one
/// message per subject). An output is 1 MiB chunks followed by a meta
/// message, each on its own subject:
///
///     agion.outputs.<tenant>.<mission>.<sha256 hex>.<n>     chunk n (0, 1, ...)
///     agion.outputs.<tenant>.<mission>.<sha256 hex>.meta    {"size", "chunks", "chunk_size"}, written last
///
/// JetStream rather than a database table: every service that needs an
/// output (execution writes and resolves them, governance validates them,
/// the gateway serves them, coordination deletes them) reads it without
/// crossing into another service's schema, and a chunk stays well under
/// NATS's `max_payload`. (cnats 3.4 has no object store, hence the chunks.)
///
/// The mission is part of the address so that deleting a finished mission's
/// outputs (retention) can never remove what another, running mission wrote:
/// identical outputs of one mission (a retried attempt, two branches) are
/// stored once; identical outputs of two missions twice.
public struct OutputStore: Sendable {
    public static let stream = StreamSpec(name: "AGION_OUTPUTS", subjects: ["agion.outputs.>"], duplicateWindow: .seconds(1),
                                          maxMessagesPerSubject: 1)
    public static let chunkSize = 1 << 20
    /// Most bytes a read accepts (a meta that claims more is corrupt).
    public static let maxOutputBytes = 64 << 20

    let jetStream: JetStream

    public init(jetStream: JetStream) { self.jetStream = jetStream }

    /// `sha256:<hex>` of `bytes`.
    public static func digest(of bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).hexString
    }

    /// Stores `bytes` for the mission unless they are there already; the reference to them.
    public func put(_ bytes: [UInt8], tenant: String, mission: String) async throws -> OutputReference {
        let reference = OutputReference(digest: Self.digest(of: bytes), size: bytes.count)
        let base = Self.subject(tenant: tenant, mission: mission, hex: reference.hex)
        if try await meta(base) != nil { return reference }
        let chunks = max(1, (bytes.count + Self.chunkSize - 1) / Self.chunkSize)
        for index in 0..<chunks {
            let start = index * Self.chunkSize, end = min(bytes.count, start + Self.chunkSize)
            try await jetStream.publishRaw("\(base).\(index)", bytes: Array(bytes[start..<end]))
        }
        let meta: JSONValue = ["size": .integer(Int64(bytes.count)), "chunks": .integer(Int64(chunks)), "chunk_size": .integer(Int64(Self.chunkSize))]
        try await jetStream.publishRaw("\(base).meta", bytes: meta.serialized)
        return reference
    }

    /// True when the whole output is stored (its meta is written last).
    public func contains(_ reference: OutputReference, tenant: String, mission: String) async throws -> Bool {
        try await meta(Self.subject(tenant: tenant, mission: mission, hex: reference.hex)) != nil
    }

    /// The whole output, checked against its digest.
    public func read(_ reference: OutputReference, tenant: String, mission: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in chunks(reference, tenant: tenant, mission: mission) { bytes.append(contentsOf: chunk) }
        return bytes
    }

    /// The output chunk by chunk, for serving it without holding it whole.
    /// Fails with `OutputStoreError` if it is gone or does not match its
    /// digest (checked after the last chunk, before the sequence ends).
    public func chunks(_ reference: OutputReference, tenant: String, mission: String) -> AsyncThrowingStream<[UInt8], Error> {
        let base = Self.subject(tenant: tenant, mission: mission, hex: reference.hex)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    guard let meta = try await meta(base) else { throw OutputStoreError.notFound(reference.digest) }
                    var hasher = SHA256(), read = 0
                    for index in 0..<meta.chunks {
                        guard let chunk = try await jetStream.lastMessage(stream: Self.stream.name, subject: "\(base).\(index)") else {
                            throw OutputStoreError.notFound(reference.digest)
                        }
                        hasher.update(data: chunk)
                        read += chunk.count
                        continuation.yield(chunk)
                    }
                    let digest = "sha256:" + hasher.finalize().hexString
                    guard read == meta.size, digest == reference.digest else { throw OutputStoreError.corrupt(reference.digest) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Deletes every output of the mission.
    public func removeAll(tenant: String, mission: String) async throws {
        try await jetStream.purge(stream: Self.stream.name, subjects: "agion.outputs.\(tenant).\(mission).>")
    }

    static func subject(tenant: String, mission: String, hex: String) -> String { "agion.outputs.\(tenant).\(mission).\(hex)" }

    private struct Meta { let size: Int, chunks: Int }

    private func meta(_ base: String) async throws -> Meta? {
        guard let bytes = try await jetStream.lastMessage(stream: Self.stream.name, subject: "\(base).meta") else { return nil }
        guard case .object(let fields) = try JSONValue.parse(bytes), case .integer(let size)? = fields["size"], case .integer(let chunks)? = fields["chunks"],
              size >= 0, size <= Self.maxOutputBytes, chunks >= 1, chunks <= Self.maxOutputBytes / 1024 else {
            throw OutputStoreError.corrupt(base)
        }
        return Meta(size: Int(size), chunks: Int(chunks))
    }
}

public enum OutputStoreError: Error, Hashable, CustomStringConvertible {
    /// Never stored, or removed (retention, or the mission's outputs deleted).
    case notFound(String)
    /// The stored bytes do not match their digest or their meta.
    case corrupt(String)

    public var description: String {
        switch self {
        case .notFound(let digest): "output \(digest) is not stored (never written, or removed by retention)"
        case .corrupt(let what): "output \(what) does not match its digest"
        }
    }
}
