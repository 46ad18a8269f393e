import AgionEnvelope

// The messages of the gateway's check route, written and read by hand (see
// HotPathCodec.swift): the gateway forwards every check and, through the
// generic codec, spent more on these two messages than on the rest of the
// request's own work. Neither validates: governance does that.

extension CheckRequest {
    /// The wire form of a check request with these fields as given (the
    /// gateway's fast path; governance validates them). Equal to the generic
    /// encoding of the same fields, with context keys sorted.
    public static func wireEncoded(agentID: String, action: String, context: ContextValue?, principal: String,
                                   delegationChain: [String]) -> [UInt8] {
        var w = ProtoWriter(capacity: 128)
        w.string(1, agentID)
        w.string(2, action)
        if let context {
            if case .object(let fields) = context { w.message(3) { $0.structValue(fields) } } else { w.message(3) { _ in } }
        }
        w.string(4, principal)
        for principal in delegationChain { w.oneofString(5, principal) }
        return w.bytes
    }
}

extension Decision {
    /// Reads a decision straight from the wire. Throws for malformed bytes
    /// and for anything the generic codec would read differently (an effect
    /// this version does not know), so a caller can fall back to it.
    public init(wire bytes: [UInt8]) throws(EnvelopeError) {
        var reader = ProtoReader(bytes, messageName: Self.protoName)
        var decisionID = "", effect: Int64 = 0, trustScore = 0.0, revision: UInt64 = 0, failClosed = false
        var ruleIDs: [String] = [], reasons: [String] = [], obligations: [Obligation] = []
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1, 3, 4:
                try reader.expect(wireType, is: .lengthDelimited, field: number)
                let text = try reader.string()
                switch number {
                case 1: decisionID = text
                case 3: ruleIDs.append(text)
                default: reasons.append(text)
                }
            case 2:
                try reader.expect(wireType, is: .varint, field: number)
                effect = try reader.int64()
            case 5:
                try reader.expect(wireType, is: .lengthDelimited, field: number)
                obligations.append(try Self.obligation(reader.message("agion.v1.Obligation")))
            case 6:
                try reader.expect(wireType, is: .fixed64, field: number)
                trustScore = try reader.double()
            case 7:
                try reader.expect(wireType, is: .varint, field: number)
                revision = try reader.varint()
                guard revision <= UInt64(UInt32.max) else { throw EnvelopeError(.malformed, "policy_revision is out of range", field: "policy_revision") }
            case 8:
                try reader.expect(wireType, is: .varint, field: number)
                failClosed = try reader.bool()
            default:
                try reader.skip(wireType)
            }
        }
        self.init(decisionID: decisionID, effect: try Effect(protoValue: effect, field: "effect"), ruleIDs: ruleIDs, reasons: reasons,
                  obligations: obligations, trustScore: trustScore, policyRevision: UInt32(revision), failClosed: failClosed)
    }

    private static func obligation(_ message: ProtoReader) throws(EnvelopeError) -> Obligation {
        var message = message
        var obligation = Obligation(kind: "")
        while let (number, wireType) = try message.nextField() {
            switch number {
            case 1:
                try message.expect(wireType, is: .lengthDelimited, field: number)
                obligation.kind = try message.string()
            case 2:
                try message.expect(wireType, is: .lengthDelimited, field: number)
                var header = try message.message("agion.v1.Header")
                var key = "", value = ""
                while let (number, wireType) = try header.nextField() {
                    guard number == 1 || number == 2 else { try header.skip(wireType); continue }
                    try header.expect(wireType, is: .lengthDelimited, field: number)
                    if number == 1 { key = try header.string() } else { value = try header.string() }
                }
                obligation.parameters[key] = value
            default:
                try message.skip(wireType)
            }
        }
        return obligation
    }
}
