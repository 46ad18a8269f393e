import AgionJSON
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP API as agionctl calls it: one request, the JSON answer, or a
/// `CommandFailure` carrying the problem details and an exit code.
struct APIClient: Sendable {
    let baseURL: URL
    let key: String?
    let timeout: TimeInterval
    /// How long an unreachable gateway is tried again (every half second)
    /// before the call fails: a gateway still starting is not an error yet.
    var waitForGateway: TimeInterval = 0

    func call(_ method: String, _ path: String, query: [String: String?] = [:], json body: JSONValue? = nil,
              raw: (text: String, contentType: String)? = nil, headers: [String: String] = [:]) async throws -> JSONValue {
        let data = try await bytes(method, path, query: query, json: body, raw: raw, headers: headers)
        return (try? JSONValue.parse(Array(data))) ?? .null
    }

    /// The answer's body as it came (large step outputs: not parsed).
    func bytes(_ method: String, _ path: String, query: [String: String?] = [:], json body: JSONValue? = nil,
               raw: (text: String, contentType: String)? = nil, headers: [String: String] = [:]) async throws -> Data {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        let items = query.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }.sorted { $0.name < $1.name }
        if !items.isEmpty { components.queryItems = items }
        var request = URLRequest(url: components.url!, timeoutInterval: timeout)
        request.httpMethod = method
        if let key { request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = Data(body.serialized)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let raw {
            request.httpBody = Data(raw.text.utf8)
            request.setValue(raw.contentType, forHTTPHeaderField: "Content-Type")
        }
        let data: Data, response: URLResponse
        let giveUp = Date().addingTimeInterval(waitForGateway)
        while true {
            do {
                (data, response) = try await URLSession.shared.data(for: request)
                break
            } catch {
                guard Date() < giveUp else {
                    throw CommandFailure(.unavailable, "cannot reach \(baseURL.absoluteString): \(error.localizedDescription)")
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw CommandFailure(status: status, problem: (try? JSONValue.parse(Array(data))) ?? .null) }
        return data
    }
}

/// Why a command failed, and the exit code scripts can rely on (docs/agionctl.md).
struct CommandFailure: Error, CustomStringConvertible {
    enum Code: Int32 {
        case failure = 1, usage = 2, invalid = 3, unauthorized = 4, notFound = 5, conflict = 6, unavailable = 7
    }

    let code: Code
    let description: String

    init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    init(status: Int, problem: JSONValue) {
        let detail = problem["detail"]?.stringValue ?? "HTTP \(status)"
        let field = problem["field"]?.stringValue.map { " (field \($0))" } ?? ""
        let requestID = problem["request_id"]?.stringValue.map { " [request \($0)]" } ?? ""
        let code: Code = switch status {
        case 400, 413, 415: .invalid
        case 401, 403: .unauthorized
        case 404, 410: .notFound
        case 409: .conflict
        case 429, 503, 504: .unavailable
        default: .failure
        }
        self.init(code, "\(detail)\(field)\(requestID)")
    }
}
