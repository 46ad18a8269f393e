/// `command subcommand --flag value --switch positional…`, read without a
/// parsing library: the CLI is small and its flags are all strings.
struct Arguments {
    var words: [String] = []
    var options: [String: String] = [:]
    var switches: Set<String> = []
    static let switchNames: Set<String> = ["draft", "json"]

    init(_ raw: [String]) {
        var i = 0
        while i < raw.count {
            let item = raw[i]
            if item.hasPrefix("--") {
                let name = String(item.dropFirst(2))
                if Self.switchNames.contains(name) {
                    switches.insert(name)
                } else if i + 1 < raw.count {
                    options[name] = raw[i + 1]
                    i += 1
                }
            } else {
                words.append(item)
            }
            i += 1
        }
    }

    func required(_ name: String) throws -> String {
        guard let value = options[name] else { throw UsageError("--\(name) is required") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description + "\n\n" + Commands.usage }
}
