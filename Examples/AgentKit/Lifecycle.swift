import AgionJSON
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Where the container reaches the gateway, who it is, and where it is reached.
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `AGION_URL` | the gateway | `http://127.0.0.1:8080` |
/// | `AGION_API_KEY` / `AGION_API_KEY_FILE` | the key it registers with (an agent key scoped to its container, or an operator's) | `.run/credentials/admin.key` |
/// | `AGENT_HOST` / `AGENT_PORT` | where it listens | `127.0.0.1` / per example |
/// | `AGENT_URL` | how Agion reaches it | `http://<host>:<port>` |
/// | `AGENT_HEARTBEAT_SECONDS` | between heartbeats (the TTL is three times this) | `10` |
public struct Settings: Sendable {
    public var gatewayURL: String
    public var apiKey: String
    public var host: String
    public var port: Int
    public var advertisedURL: String
    public var heartbeatSeconds: Int

    public static func fromEnvironment(defaultPort: Int) throws -> Settings {
        let env = ProcessInfo.processInfo.environment
        let keyFile = env["AGION_API_KEY_FILE"] ?? ".run/credentials/admin.key"
        guard let key = env["AGION_API_KEY"] ?? (try? String(contentsOfFile: keyFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines),
              !key.isEmpty else {
            throw SettingsError("set AGION_API_KEY or AGION_API_KEY_FILE (no key at \(keyFile))")
        }
        let host = env["AGENT_HOST"] ?? "127.0.0.1"
        let port = Int(env["AGENT_PORT"] ?? "") ?? defaultPort
        return Settings(gatewayURL: env["AGION_URL"] ?? "http://127.0.0.1:8080", apiKey: key, host: host, port: port,
                        advertisedURL: env["AGENT_URL"] ?? "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)",
                        heartbeatSeconds: max(Int(env["AGENT_HEARTBEAT_SECONDS"] ?? "") ?? 10, 1))
    }
}

public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The gateway's agent routes, as the container uses them.
final class GatewayClient: Sendable {
    let settings: Settings
    let logger: Logger
    private let http = HTTPClient(eventLoopGroupProvider: .singleton)

    init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue?) async throws -> Int {
        var request = HTTPClientRequest(url: settings.gatewayURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + settings.apiKey)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.serialized))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let text = try await response.body.collect(upTo: 1 << 20)
        if response.status.code >= 300 {
            logger.warning("example.gateway_refused", metadata: ["path": "\(path)", "status": "\(response.status.code)",
                                                                 "body": "\(String(buffer: text).prefix(300))"])
        }
        return Int(response.status.code)
    }

    func shutdown() async throws { try await http.shutdown() }
}

/// Registers on start (retrying until the gateway answers), heartbeats, and
/// deregisters the container's agents when asked to stop.
struct Lifecycle: Service {
    let container: AgentContainer
    let gateway: GatewayClient
    let logger: Logger

    func run() async throws {
        let ids = container.agents.map { "\(container.container):\($0.name)" }
        let registration: JSONValue = ["container": .string(container.container), "agents": .array(container.agents.map { agent in
            ["id": .string("\(container.container):\(agent.name)"), "type": "example", "description": .string(agent.description),
             "capabilities": .array(agent.capabilities.map { .string($0) }), "version": "1",
             "endpoint": ["kind": "http", "address": .string(container.settings.advertisedURL)]]
        })]
        await cancelWhenGracefulShutdown {
            var delay = Duration.milliseconds(250)
            while !Task.isCancelled {
                if let status = try? await gateway.call(.POST, "/v1/agents", registration), status < 300 { break }
                logger.info("example.waiting_for_gateway", metadata: ["url": "\(container.settings.gatewayURL)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
            logger.notice("example.registered", metadata: ["agents": "\(ids.joined(separator: ","))", "url": "\(container.settings.advertisedURL)"])
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(container.settings.heartbeatSeconds))
                for id in ids {
                    _ = try? await gateway.call(.POST, "/v1/agents/\(id)/heartbeat", ["ttl_seconds": .integer(Int64(container.settings.heartbeatSeconds * 3))])
                }
            }
        }
        // Stopping: no mission should pick these agents any more.
        for id in ids { _ = try? await gateway.call(.DELETE, "/v1/agents/\(id)?reason=container%20stopped", nil) }
        logger.notice("example.deregistered", metadata: ["agents": "\(ids.joined(separator: ","))"])
    }
}
