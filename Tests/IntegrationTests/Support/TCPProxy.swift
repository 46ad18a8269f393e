import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP forwarder in front of a real server, so a test can cut the network
/// between one service and, say, PostgreSQL (and restore it) without
/// disturbing anything else that uses the server.
final class TCPProxy: Sendable {
    let port: Int
    let target: Int
    private let state = Mutex<(listener: Int32, sockets: [Int32])>((-1, []))

    init(target: Int) throws {
        self.target = target
        // A random port may be taken (by an outgoing connection's ephemeral
        // port, say): try a few. The port is kept so `restore` can reuse it.
        for _ in 0..<20 {
            let candidate = Int.random(in: 12_000...12_999)
            if let fd = Self.listener(on: candidate) {
                self.port = candidate
                startAccepting(fd)
                return
            }
        }
        throw TestFailure("proxy found no free port")
    }

    deinit { cut() }

    /// Starts accepting again on the same port.
    func restore() throws {
        guard let fd = Self.listener(on: port) else { throw TestFailure("proxy cannot listen on \(port)") }
        startAccepting(fd)
    }

    private func startAccepting(_ fd: Int32) {
        state.withLock { $0.listener = fd }
        Thread.detachNewThread { self.acceptLoop(fd) }
    }

    private static func listener(on port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = address(port)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); return nil }
        return fd
    }

    /// Closes every connection and stops accepting: the server looks gone.
    func cut() {
        let (listener, sockets) = state.withLock { s -> (Int32, [Int32]) in
            defer { s = (-1, []) }
            return (s.listener, s.sockets)
        }
        if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop(_ listener: Int32) {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(target)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            state.withLock { $0.sockets += [client, upstream] }
            Thread.detachNewThread { Self.pump(from: client, to: upstream) }
            Thread.detachNewThread { Self.pump(from: upstream, to: client) }
        }
    }

    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + offset, n - offset) }
                if written <= 0 { break }
                offset += written
            }
        }
        shutdown(destination, Int32(SHUT_RDWR))
        shutdown(source, Int32(SHUT_RDWR))
    }

    private static func address(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
