import AgionJSON
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Real HTTP to a service running as a process (the admin server, a gateway
/// child): what a load balancer, a probe or a client sees.
enum HTTPClient {
    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var json: JSONValue? { try? JSONValue.parse(Array(body)) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: String, key: String? = nil, json: JSONValue? = nil, raw: String? = nil,
                     contentType: String? = nil, timeout: TimeInterval = 10) async throws -> Response {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        request.httpMethod = method
        if let key { request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.serialized)
            request.setValue(contentType ?? "application/json", forHTTPHeaderField: "Content-Type")
        } else if let raw {
            request.httpBody = Data(raw.utf8)
            if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure("\(url) answered something that is not HTTP") }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Response(status: http.statusCode, headers: headers, body: data)
    }
}
