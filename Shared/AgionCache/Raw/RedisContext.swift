import CHiredis

/// Owns one `redisContext`. Contexts are not thread-safe: the pool leases each
/// to one caller at a time, and every call runs on the pool's threads.
final class RedisContext: @unchecked Sendable {
    // @unchecked: leased to one task at a time by `RedisPool`.
    private let raw: UnsafeMutablePointer<redisContext>
    /// Set after any I/O or protocol error: hiredis contexts cannot be reused then.
    private(set) var isBroken = false

    init(_ configuration: RedisConfiguration) throws(CacheError) {
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), configuration.connectTimeout.timeval) else {
            throw CacheError(.connectionFailed, "out of memory creating a Redis context")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw CacheError(.connectionFailed, "connect to \(configuration.host):\(configuration.port): \(message)")
        }
        _ = redisSetTimeout(context, configuration.commandTimeout.timeval)
        self.raw = context
    }

    deinit { redisFree(raw) }

    /// Sends commands pipelined (one write, then one read per command).
    func run(_ commands: [[[UInt8]]]) throws(CacheError) -> [Result<RedisValue, CacheError>] {
        for command in commands {
            let status = withArgv(command) { argc, argv, lengths in redisAppendCommandArgv(raw, argc, argv, lengths) }
            guard status == REDIS_OK else { throw fail() }
        }
        var replies: [Result<RedisValue, CacheError>] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(raw, &reply) == REDIS_OK, let reply else { throw fail() }
            let typed = reply.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.convert(typed))
            freeReplyObject(reply)
        }
        return replies
    }

    private func fail() -> CacheError {
        isBroken = true
        let code: CacheError.Code = raw.pointee.err == REDIS_ERR_EOF || raw.pointee.err == REDIS_ERR_IO ? .io : .protocolError
        return CacheError(code, Self.errorText(raw))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> Result<RedisValue, CacheError> {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_NIL: return .success(.null)
        case REDIS_REPLY_INTEGER: return .success(.integer(Int64(r.integer)))
        case REDIS_REPLY_STRING:
            return .success(.bulk(r.str.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(r.len))) } ?? []))
        case REDIS_REPLY_STATUS:
            return .success(.status(r.str.map { String(cString: $0) } ?? ""))
        case REDIS_REPLY_ERROR:
            let text = r.str.map { String(cString: $0) } ?? "error"
            return .failure(CacheError(text.hasPrefix("NOSCRIPT") ? .noScript : .server, text))
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            for i in 0..<Int(r.elements) {
                guard let element = r.element[i] else { values.append(.null); continue }
                switch convert(element) {
                case .success(let value): values.append(value)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.array(values))
        default:
            return .failure(CacheError(.protocolError, "unknown reply type \(r.type)"))
        }
    }
}

/// Calls `body` with argc/argv/argvlen views of `arguments` (binary safe).
private func withArgv<T>(_ arguments: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T) -> T {
    let buffers = arguments.map { argument -> UnsafeMutablePointer<CChar> in
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
        argument.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(buffer), byteCount: argument.count) }
        return buffer
    }
    defer { buffers.forEach { $0.deallocate() } }
    var argv = buffers.map { UnsafePointer($0) as UnsafePointer<CChar>? }
    let lengths = arguments.map(\.count)
    return argv.withUnsafeMutableBufferPointer { argvBuffer in
        lengths.withUnsafeBufferPointer { body(Int32(arguments.count), argvBuffer.baseAddress!, $0.baseAddress!) }
    }
}
