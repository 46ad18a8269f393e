/// Brings envelopes written with an older payload schema up to the version this
/// reader understands, one version step at a time.
///
/// Every type is at version 1 unless `declare` says otherwise. A version newer
/// than the reader's (for any type, declared or not), or a gap in the steps,
/// is `unsupportedVersion`: a reader never applies what it cannot know it
/// understands, and a consumer dead-letters it. Version 0 (a producer that
/// did not set the field, proto3's default) reads as 1.
public struct EnvelopeUpcaster: Sendable {
    /// Converts an envelope of version `n` to version `n + 1` (payload and
    /// `schemaVersion` both).
    public typealias Step = @Sendable (Envelope) throws -> Envelope

    private var current: [String: UInt32] = [:]
    private var steps: [String: [UInt32: Step]] = [:]

    public init() {}

    /// Declares the schema version this reader understands for `type`.
    public mutating func declare(type: String, currentVersion: UInt32) {
        current[type] = currentVersion
    }

    /// Registers the step from `version` to `version + 1` for `type`.
    public mutating func register(type: String, from version: UInt32, _ step: @escaping Step) {
        steps[type, default: [:]][version] = step
    }

    /// The envelope at the current version of its type.
    public func upcast(_ envelope: Envelope) throws(EnvelopeError) -> Envelope {
        let target = current[envelope.type] ?? 1
        if envelope.schemaVersion == target { return envelope }
        if envelope.schemaVersion > target {
            throw EnvelopeError(.unsupportedVersion,
                "\(envelope.type) version \(envelope.schemaVersion) is newer than supported version \(target)")
        }
        var result = envelope
        if result.schemaVersion == 0 { result.schemaVersion = 1 }
        while result.schemaVersion < target {
            guard let step = steps[result.type]?[result.schemaVersion] else {
                throw EnvelopeError(.unsupportedVersion,
                    "no upcaster for \(result.type) from version \(result.schemaVersion)")
            }
            let from = result.schemaVersion
            do { result = try step(result) } catch {
                throw EnvelopeError(.malformed, "upcasting \(result.type) from version \(from) failed: \(error)")
            }
            guard result.schemaVersion == from + 1 else {
                throw EnvelopeError(.unsupportedVersion,
                    "upcaster for \(envelope.type) from version \(from) produced version \(result.schemaVersion)")
            }
        }
        return result
    }
}
