import AgionJSON
import ArgumentParser
import Foundation

/// Where the API is and which credential to use: flags, then the environment
/// (`AGION_URL`, `AGION_API_KEY`, `AGION_API_KEY_FILE`), then the config file
/// (`--config`, `AGION_CONFIG`, or ~/.config/agion/agionctl.json with `url`,
/// `key` or `key_file`), then the local stack's defaults.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The gateway's URL (default http://127.0.0.1:8080).")
    var url: String?

    @Option(help: "An API key (agion_…) or a JWT.")
    var key: String?

    @Option(help: "A file holding the key (default .run/credentials/admin.key when it exists).")
    var keyFile: String?

    @Option(help: "A JSON config file with url, key or key_file.")
    var config: String?

    @Option(name: [.short, .long], help: "table or json.")
    var output: String = "table"

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 10

    @Option(help: "Seconds to keep trying while the gateway cannot be reached (start-up scripts, init containers).")
    var waitForGateway: Double = 0

    var format: OutputFormat {
        get throws { guard let format = OutputFormat(rawValue: output) else { throw ValidationError("--output is table or json") }; return format }
    }

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let file = try configFile(environment)
        let urlText = url ?? environment["AGION_URL"] ?? file["url"]?.stringValue ?? "http://127.0.0.1:8080"
        guard let base = URL(string: urlText), base.scheme == "http" || base.scheme == "https" else { throw ValidationError("\(urlText) is not an http(s) URL") }
        var secret = key ?? environment["AGION_API_KEY"] ?? file["key"]?.stringValue
        if secret == nil {
            let path = keyFile ?? environment["AGION_API_KEY_FILE"] ?? file["key_file"]?.stringValue
                ?? (FileManager.default.fileExists(atPath: ".run/credentials/admin.key") ? ".run/credentials/admin.key" : nil)
            if let path {
                // A gateway starting on a fresh database writes its first key
                // there: with --wait-for-gateway, wait for the file too.
                let giveUp = Date().addingTimeInterval(waitForGateway)
                while !FileManager.default.fileExists(atPath: path), Date() < giveUp { Thread.sleep(forTimeInterval: 0.5) }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read the key file \(path)") }
                secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return APIClient(baseURL: base, key: secret, timeout: timeout, waitForGateway: waitForGateway)
    }

    private func configFile(_ environment: [String: String]) throws -> JSONValue {
        let explicit = config ?? environment["AGION_CONFIG"]
        let path = explicit ?? (NSHomeDirectory() + "/.config/agion/agionctl.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            if let explicit { throw ValidationError("cannot read the config file \(explicit)") }
            return .object([:])
        }
        guard case .object? = try? JSONValue.parse(Array(data)) else { throw ValidationError("\(path) is not a JSON object") }
        return try JSONValue.parse(Array(data))
    }
}

/// Runs a command's body, turning API failures into a message and an exit code.
func perform(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CommandFailure {
        FileHandle.standardError.write(Data("agionctl: \(failure.description)\n".utf8))
        throw ExitCode(failure.code.rawValue)
    }
}

/// Reads a file named on the command line.
func readFile(_ path: String) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
    return text
}

/// A JSON argument (`--context '{"rows": 5}'`).
func parseJSON(_ text: String, option: String) throws -> JSONValue {
    guard let value = try? JSONValue.parse(Array(text.utf8)) else { throw ValidationError("\(option) is not valid JSON") }
    return value
}
