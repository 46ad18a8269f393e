import AgionEnvelope

// The check request read straight from the wire (see HotPathCodec.swift):
// every check decodes one, and the generic codec took longer than the check.
// It reads every valid request as `init(proto:)` does, with the same field
// errors, and is at most stricter with malformed bytes than protobuf-c
// (HotPathCodecTests compares the two on generated and corrupted input).

extension CheckRequest {
    public init(decoding bytes: [UInt8]) throws(EnvelopeError) {
        var reader = ProtoReader(bytes, messageName: Self.protoName)
        var agentID = "", action = "", principal = ""
        var chain: [String] = []
        // A message field that appears twice is merged: the context's entries add up.
        var contexts: [ProtoReader] = []
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1, 2, 4, 5:
                try reader.expect(wireType, is: .lengthDelimited, field: number)
                let value = try reader.string()
                switch number {
                case 1: agentID = value
                case 2: action = value
                case 4: principal = value
                default: chain.append(value)
                }
            case 3:
                try reader.expect(wireType, is: .lengthDelimited, field: number)
                contexts.append(try reader.message("agion.v1.StructValue"))
            default:
                try reader.skip(wireType)
            }
        }
        try self.init(validating: agentID, action: action, principal: principal, delegationChain: chain, field: "") { (prefix) throws(EnvelopeError) in
            var decoder = ContextDecoder()
            var fields: [String: ContextValue] = [:]
            for context in contexts { try decoder.fields(of: context, into: &fields, path: prefix + "context", depth: 0) }
            return .object(fields)
        }
    }
}

/// Reads `agion.v1.StructValue` / `Value` with the limits of
/// `ContextValue(structProto:field:)`: the same depth and node budget, the
/// same error paths.
struct ContextDecoder {
    private var budget = ContextValue.Limits.nodes

    /// The entries of a StructValue, added to `fields` (later keys win).
    mutating func fields(of message: ProtoReader, into fields: inout [String: ContextValue], path: String, depth: Int) throws(EnvelopeError) {
        var message = message
        while let (number, wireType) = try message.nextField() {
            guard number == 1 else { try message.skip(wireType); continue }
            try message.expect(wireType, is: .lengthDelimited, field: number)
            var entry = try message.message("agion.v1.Field")
            var key = ""
            var value: ProtoReader?
            while let (number, wireType) = try entry.nextField() {
                switch number {
                case 1:
                    try entry.expect(wireType, is: .lengthDelimited, field: number)
                    key = try entry.string()
                case 2:
                    try entry.expect(wireType, is: .lengthDelimited, field: number)
                    value = try entry.message("agion.v1.Value")
                default:
                    try entry.skip(wireType)
                }
            }
            if let value {
                fields[key] = try self.value(value, path: path + "." + key, depth: depth + 1)
            } else {
                fields[key] = .null
            }
        }
    }

    private enum Kind { case null, bool(Bool), number(Double), string(String), list(ProtoReader), object(ProtoReader) }

    mutating func value(_ message: ProtoReader, path: String, depth: Int) throws(EnvelopeError) -> ContextValue {
        // A oneof: the last member on the wire is the value. Nested ones are
        // read after the scan, so an overwritten member costs no budget.
        var message = message
        var kind = Kind.null
        while let (number, wireType) = try message.nextField() {
            switch number {
            case 1:
                try message.expect(wireType, is: .varint, field: number)
                _ = try message.varint()
                kind = .null
            case 2:
                try message.expect(wireType, is: .varint, field: number)
                kind = .bool(try message.bool())
            case 3:
                try message.expect(wireType, is: .fixed64, field: number)
                kind = .number(try message.double())
            case 4:
                try message.expect(wireType, is: .lengthDelimited, field: number)
                kind = .string(try message.string())
            case 5:
                try message.expect(wireType, is: .lengthDelimited, field: number)
                kind = .list(try message.message("agion.v1.ListValue"))
            case 6:
                try message.expect(wireType, is: .lengthDelimited, field: number)
                kind = .object(try message.message("agion.v1.StructValue"))
            default:
                try message.skip(wireType)
            }
        }
        budget -= 1
        guard budget >= 0 else { throw EnvelopeError(.invalidField, "the context has more than \(ContextValue.Limits.nodes) values", field: path) }
        guard depth <= ContextValue.Limits.depth else {
            throw EnvelopeError(.invalidField, "the context nests deeper than \(ContextValue.Limits.depth)", field: path)
        }
        switch kind {
        case .null: return .null
        case .bool(let v): return .bool(v)
        case .number(let v):
            guard v.isFinite else { throw EnvelopeError(.invalidField, "numbers must be finite", field: path) }
            return .number(v)
        case .string(let v): return .string(v)
        case .list(var list):
            var values: [ContextValue] = []
            while let (number, wireType) = try list.nextField() {
                guard number == 1 else { try list.skip(wireType); continue }
                try list.expect(wireType, is: .lengthDelimited, field: number)
                values.append(try value(try list.message("agion.v1.Value"), path: "\(path)[\(values.count)]", depth: depth + 1))
            }
            return .list(values)
        case .object(let nested):
            var fields: [String: ContextValue] = [:]
            try self.fields(of: nested, into: &fields, path: path, depth: depth)
            return .object(fields)
        }
    }
}
