import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `agion-<service> healthcheck [health|ready]`: asks the service's own admin
/// server (same `AGION_ADMIN_*` settings as the service) and exits 0 when it
/// answers 200, 1 otherwise. Container images carry no shell, curl or wget, so
/// a compose health check runs the service binary itself; Kubernetes probes
/// use `httpGet` and do not need this.
///
/// Blocking POSIX sockets on purpose: it runs before any runtime starts, once,
/// with a two-second bound on every step.
public enum HealthProbe {
    /// When `arguments` ask for a probe, runs it and exits; otherwise returns.
    public static func runIfAsked(arguments: [String] = CommandLine.arguments, serviceName: String, defaultAdminPort: Int,
                                  environment: [String: String]) {
        guard arguments.dropFirst().first == "healthcheck" else { return }
        let path = arguments.dropFirst(2).first == "health" ? "/health" : "/ready"
        do {
            let configuration = try ServiceConfiguration(serviceName: serviceName, defaultAdminPort: defaultAdminPort,
                                                         environment: environment)
            // A server bound to every address answers on loopback.
            let host = ["0.0.0.0", "::", ""].contains(configuration.adminHost) ? "127.0.0.1" : configuration.adminHost
            let status = try get(host: host, port: configuration.adminPort, path: path)
            if status == 200 { exit(0) }
            FileHandle.standardError.write(Data("agion-\(serviceName): \(path) answered \(status)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("agion-\(serviceName): \(path): \(error)\n".utf8))
        }
        exit(1)
    }

    struct ProbeError: Error, CustomStringConvertible {
        let description: String
    }

    /// The status code of `GET path` on `host:port` (IPv4 literal or name).
    static func get(host: String, port: Int, path: String, timeoutSeconds: Int = 2) throws -> Int {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else {
            throw ProbeError(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(found) }
        let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard socket >= 0 else { throw ProbeError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            throw ProbeError(description: "connect \(host):\(port): \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        guard send(socket, request, request.count, 0) == request.count else {
            throw ProbeError(description: "send: \(String(cString: strerror(errno)))")
        }
        // "HTTP/1.1 200 OK": the status is all we read.
        var head = [UInt8](repeating: 0, count: 64)
        var received = 0
        while received < 12 {
            let n = head.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + received, 64 - received, 0) }
            guard n > 0 else { break }
            received += n
        }
        let line = String(decoding: head[..<received], as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw ProbeError(description: "not an HTTP answer: \(line.prefix(32))")
        }
        return status
    }
}
