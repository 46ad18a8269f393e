@testable import AgionEnvelope
import Testing

/// Deeply nested input is refused before anything recursive reads it: a check
/// context nested 5,000 lists deep once overflowed governance's stack.
@Suite struct NestingLimitTests {
    /// A `Value` holding a list holding a value ... `levels` lists deep, written
    /// by hand from the inside out (encoding it recursively would be the bug).
    static func nestedValue(levels: Int) -> [UInt8] {
        var value: [UInt8] = [0x10, 0x01]  // bool_value = true
        for _ in 0..<levels {
            let list = [0x0A] + varint(value.count) + value  // ListValue.values = 1
            value = [0x2A] + varint(list.count) + list       // Value.list_value = 5
        }
        return value
    }

    static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value), bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return bytes
    }

    @Test(arguments: [5_000, 10_000])
    func aValueNestedThousandsOfLevelsDeepIsRefusedNotACrash(levels: Int) {
        let bytes = Self.nestedValue(levels: levels)
        #expect(throws: EnvelopeError.self) { try ProtoSchema.decode("agion.v1.Value", from: bytes) }
        do {
            _ = try ProtoSchema.decode("agion.v1.Value", from: bytes)
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.message.contains("deeper than \(WireDepthGuard.maxDepth)"))
        }
    }

    @Test func nestingUpToTheLimitStillDecodes() throws {
        // Each list level is two messages (Value, ListValue); the root Value is one.
        let levels = (WireDepthGuard.maxDepth - 1) / 2
        let decoded = try ProtoSchema.decode("agion.v1.Value", from: Self.nestedValue(levels: levels))
        var depth = 0
        var current: ProtoMessage? = decoded
        while let value = current, let list = value.message("list_value") {
            depth += 1
            current = list.list("values").first?.message
        }
        #expect(depth == levels)
        #expect(throws: EnvelopeError.self) { try ProtoSchema.decode("agion.v1.Value", from: Self.nestedValue(levels: levels + 1)) }
    }

    @Test func theLimitAppliesInsideAnExplainRequest() throws {
        // ExplainRequest.request (1) -> CheckRequest.context (3) -> StructValue.fields (1) -> Field.value (2) -> deep Value.
        let value = Self.nestedValue(levels: 5_000)
        let field = [0x0A, 0x01, 0x78] + [0x12] + Self.varint(value.count) + value
        let context = [0x0A] + Self.varint(field.count) + field
        let check = [0x0A, 0x03] + Array("a:b".utf8) + [0x12, 0x01, 0x61] + [0x1A] + Self.varint(context.count) + context
        let explain = [0x0A] + Self.varint(check.count) + check
        #expect(throws: EnvelopeError.self) { try ProtoSchema.decode("agion.v1.ExplainRequest", from: explain) }
    }

    @Test func truncatedOrGarbledBytesAreStillLeftToProtobufC() {
        // The guard does not judge validity: protobuf-c refuses these as malformed.
        for bytes: [UInt8] in [[0x2A, 0xFF], [0x2A, 0x05, 0x0A], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x0B]] {
            do {
                _ = try ProtoSchema.decode("agion.v1.Value", from: bytes)
                Issue.record("decoded \(bytes)")
            } catch {
                #expect(error.code == .malformed)
            }
        }
    }
}
