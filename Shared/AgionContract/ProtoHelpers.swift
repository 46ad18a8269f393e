import AgionEnvelope

extension Dictionary where Key == String, Value == String {
    /// As a `repeated agion.v1.Header` field, sorted by key so equal maps encode equally.
    var protoHeaders: ProtoValue {
        .list(sorted { $0.key < $1.key }.map {
            .message(ProtoMessage("agion.v1.Header", ["key": .string($0.key), "value": .string($0.value)]))
        })
    }

    /// From a `repeated agion.v1.Header` field, keeping at most `limit` entries.
    init(protoHeaders items: [ProtoValue], limit: Int = .max) {
        self.init()
        for entry in items.compactMap(\.message).prefix(limit) { self[entry.string("key")] = entry.string("value") }
    }
}

extension AgentStatus {
    /// From an `agion.v1.AgentStatus` field; an unknown value is an error naming `field`.
    public init(protoValue: Int64, field: String) throws(EnvelopeError) {
        guard let status = AgentStatus(rawValue: Int32(clamping: protoValue)) else {
            throw EnvelopeError(.invalidField, "unknown agent status \(protoValue)", field: field)
        }
        self = status
    }
}

/// ASCII letter or digit: the safe core of ids that end up in subjects and keys.
func isAlphanumeric(_ c: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
}
