/// Copies Swift strings into one NUL-terminated scratch buffer so protobuf-c
/// messages can point at them while they are packed.
///
/// protobuf-c string fields are `char *` read with `strlen`, so a string with an
/// embedded NUL would be silently cut short on the wire: the arena refuses it.
package struct CStringArena: ~Copyable {
    private let base: UnsafeMutablePointer<CChar>
    private let capacity: Int
    private var used = 0

    /// Capacity for `strings`, each with its terminator.
    package static func capacity<S: Sequence<String>>(for strings: S) -> Int {
        strings.reduce(0) { $0 + $1.utf8.count + 1 }
    }

    package init(capacity: Int) {
        self.capacity = max(capacity, 1)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A pointer to a NUL-terminated copy of `string`, valid while the arena lives.
    package mutating func copy(_ string: String, field: StaticString) throws(EnvelopeError) -> UnsafeMutablePointer<CChar> {
        let start = base + used
        var string = string
        let count = string.withUTF8 { utf8 -> Int in
            guard utf8.count + 1 <= capacity - used else { return -1 }
            if let raw = utf8.baseAddress {
                if memchr(raw, 0, utf8.count) != nil { return -2 }
                UnsafeMutableRawPointer(start).copyMemory(from: raw, byteCount: utf8.count)
            }
            start[utf8.count] = 0
            return utf8.count
        }
        switch count {
        case -1: preconditionFailure("CStringArena sized too small for \(field)")
        case -2: throw EnvelopeError(.invalidField, "\(field) contains a NUL character, which protobuf-c cannot carry")
        default: used += count + 1
        }
        return start
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
