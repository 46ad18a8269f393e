import CAgionProto
import CProtobufC

/// Refuses a message whose nested messages go deeper than `maxDepth`, before
/// anything recursive sees it.
///
/// protobuf-c unpacks nested messages recursively with no limit, and so do
/// the reflection reader and the Swift values built from it: a `Value` that
/// nests 5,000 lists (71 KB on the wire) overflowed a thread's stack and
/// killed governance. This walk follows only the fields the descriptor says
/// are messages, and its own recursion stops at `maxDepth`, so its stack use
/// is bounded whatever the input. Bytes it cannot read are left to protobuf-c
/// to refuse (it stops walking them): it judges depth, not validity.
enum WireDepthGuard {
    /// protobuf's own default recursion limit. The deepest legitimate payload,
    /// a check context at `ContextValue.Limits.depth` (16) inside an explain
    /// request, is about 50 levels of messages.
    static let maxDepth = 100

    static func check(_ bytes: UnsafeRawBufferPointer, descriptor: MessageDescriptor) throws(EnvelopeError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try walk(base.assumingMemoryBound(to: UInt8.self), count: bytes.count, descriptor: descriptor.raw, depth: 1)
    }

    private static func walk(_ bytes: UnsafePointer<UInt8>, count: Int, descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
                             depth: Int) throws(EnvelopeError) {
        guard depth <= maxDepth else {
            throw EnvelopeError(.invalidField, "the message nests deeper than \(maxDepth) levels")
        }
        var offset = 0
        while offset < count {
            guard let key = varint(bytes, count: count, offset: &offset) else { return }
            let wireType = Int(key & 7)
            switch wireType {
            case 0:
                guard varint(bytes, count: count, offset: &offset) != nil else { return }
            case 1:
                offset += 8
            case 5:
                offset += 4
            case 2:
                guard let length = varint(bytes, count: count, offset: &offset), length <= UInt64(count - offset) else { return }
                let start = offset
                offset += Int(length)
                if let nested = messageDescriptor(of: UInt32(truncatingIfNeeded: key >> 3), in: descriptor) {
                    try walk(bytes + start, count: Int(length), descriptor: nested, depth: depth + 1)
                }
            default:
                return  // groups and invalid wire types: protobuf-c refuses them
            }
        }
    }

    /// The message type of field `number`, if it is a message field.
    private static func messageDescriptor(of number: UInt32, in descriptor: UnsafePointer<ProtobufCMessageDescriptor>)
        -> UnsafePointer<ProtobufCMessageDescriptor>? {
        let d = descriptor.pointee
        for index in 0..<Int(d.n_fields) where d.fields[index].id == number {
            let field = d.fields[index]
            guard field.type == PROTOBUF_C_TYPE_MESSAGE, let nested = field.descriptor else { return nil }
            return nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        }
        return nil
    }

    private static func varint(_ bytes: UnsafePointer<UInt8>, count: Int, offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
