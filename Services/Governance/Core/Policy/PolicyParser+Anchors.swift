extension PolicyParser {
    /// Refuses YAML anchors (`&name`), and so every alias (`*name` needs an
    /// anchor to point at). Aliases let a kilobyte of YAML stand for a
    /// structure of billions of nodes (the "billion laughs"): Yams expands
    /// them while loading, and hashes them while checking mapping keys, before
    /// any limit of ours could count. A policy has no use for them.
    ///
    /// The scan is lexical and errs towards refusing: an `&` that starts a
    /// word (after a space, a line start or `[{,`) and is followed by a name
    /// character counts, even inside a quoted string ("R &D"); quoting does
    /// not hide it, but writing the value without that space does.
    static func refuseAnchors(_ text: String) throws(PolicyError) {
        var previous: UInt8 = 0x0A
        var line = 1
        var iterator = text.utf8.makeIterator()
        var current = iterator.next()
        while let byte = current {
            let next = iterator.next()
            if byte == UInt8(ascii: "&"), Self.startsToken(after: previous), let next, Self.isNameByte(next) {
                throw PolicyError(field: "", reason: "line \(line): YAML anchors and aliases (&name, *name) are not allowed in policies")
            }
            if byte == 0x0A { line += 1 }
            previous = byte
            current = next
        }
    }

    private static func startsToken(after byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","): true
        default: false
        }
    }

    /// What libyaml accepts in an anchor name: anything but blanks and flow indicators.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ","): false
        default: true
        }
    }
}
