import CLibPQ
import Logging

/// Owns one `PGconn`. libpq connections are used by one thread at a time: the
/// pool leases each to one task, and every call runs on the pool's threads.
final class PostgresConnection: @unchecked Sendable {
    // @unchecked: leased to one task at a time by `ConnectionPool`, which is the
    // only code that hands it out; `prepared` is touched only by that lease holder.
    private let raw: OpaquePointer
    private var prepared: [String: String] = [:]
    private let notices: Unmanaged<NoticeSink>

    init(_ configuration: StoreConfiguration, logger: Logger) throws(StoreError) {
        let settings: [(String, String)] = [
            ("host", configuration.host), ("port", String(configuration.port)), ("user", configuration.user),
            ("password", configuration.password), ("dbname", configuration.database),
            ("connect_timeout", String(configuration.connectTimeoutSeconds)),
            ("application_name", configuration.applicationName), ("client_encoding", "UTF8"),
        ]
        let keys = settings.map { strdup($0.0) }, values = settings.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        var keyPointers = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers = values.map { UnsafePointer($0) } + [nil]
        // PQconnectdbParams, never a connection string: no value is ever parsed as syntax.
        guard let connection = PQconnectdbParams(&keyPointers, &valuePointers, 0) else {
            throw StoreError(.connectionFailed, "out of memory creating a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(connection)
            throw StoreError(.connectionFailed, message)
        }
        self.raw = connection
        self.notices = Unmanaged.passRetained(NoticeSink(logger: logger))
        PQsetNoticeReceiver(connection, onNotice, notices.toOpaque())
    }

    deinit {
        PQfinish(raw)
        notices.release()
    }

    /// False once the connection is lost; the pool then discards it.
    var isHealthy: Bool { PQstatus(raw) == CONNECTION_OK }

    /// Runs one statement with `$n` parameters. With `prepare`, the statement is
    /// prepared on first use on this connection and executed by name afterwards.
    func execute(_ sql: String, _ parameters: [PostgresValue], prepare: Bool) throws(StoreError) -> (rows: [Row], affected: Int) {
        let (columns, values, affected) = try consume(send(sql, parameters, prepare: prepare, binaryResults: false)) { result, r, c in
            String(cString: PQgetvalue(result, r, c))
        }
        return (values.map { Row(columns: columns, values: $0) }, affected)
    }

    /// `execute` with the rows in PostgreSQL's binary format: each value as
    /// the type's own bytes (raw `bytea`, big-endian integers), not text.
    func executeBinary(_ sql: String, _ parameters: [PostgresValue], prepare: Bool) throws(StoreError) -> [BinaryRow] {
        let (columns, values, _) = try consume(send(sql, parameters, prepare: prepare, binaryResults: true)) { result, r, c in
            let length = Int(PQgetlength(result, r, c))
            return PQgetvalue(result, r, c).withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        }
        return values.map { BinaryRow(columns: columns, values: $0) }
    }

    private func send(_ sql: String, _ parameters: [PostgresValue], prepare: Bool, binaryResults: Bool) throws(StoreError) -> OpaquePointer? {
        var texts: [UnsafeMutablePointer<CChar>?] = []
        var buffers: [UnsafeMutablePointer<UInt8>] = []
        defer { texts.forEach { free($0) }; buffers.forEach { $0.deallocate() } }
        var values: [UnsafePointer<CChar>?] = [], lengths: [Int32] = [], formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                values.append(nil); lengths.append(0); formats.append(0)
            case .text(let text):
                let copy = strdup(text)
                texts.append(copy)
                values.append(UnsafePointer(copy)); lengths.append(0); formats.append(0)
            case .bytes(let bytes):
                let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
                buffer.initialize(from: bytes, count: bytes.count)
                buffers.append(buffer)
                values.append(UnsafeRawPointer(buffer).assumingMemoryBound(to: CChar.self))
                lengths.append(Int32(bytes.count)); formats.append(1)
            }
        }
        let resultFormat: Int32 = binaryResults ? 1 : 0
        if parameters.isEmpty && !prepare && !binaryResults {
            // The simple protocol: allows several statements (migrations, BEGIN).
            return PQexec(raw, sql)
        } else if prepare {
            let name = try statementName(for: sql, parameterCount: parameters.count)
            return PQexecPrepared(raw, name, Int32(parameters.count), values, lengths, formats, resultFormat)
        } else {
            return PQexecParams(raw, sql, Int32(parameters.count), nil, values, lengths, formats, resultFormat)
        }
    }

    /// Runs `sql`, a `COPY … FROM STDIN (FORMAT binary)`, with `pieces` in
    /// order as its input; returns the rows copied. On any failure the
    /// connection is left ready for the next statement (the COPY's results
    /// are drained).
    func copyIn(_ sql: String, _ pieces: [[UInt8]]) throws(StoreError) -> Int {
        guard let start = PQexec(raw, sql) else {
            throw StoreError(.connectionFailed, String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try consume(start) { _, _, _ in () }
            throw StoreError(.other, "not a COPY FROM STDIN statement: \(sql.prefix(60))")
        }
        PQclear(start)
        var sent = true
        for data in pieces where sent {
            data.withUnsafeBytes { buffer in
                // In chunks: libpq buffers what it is given, and one chunk of
                // the whole would double the batch's memory for no gain.
                var offset = 0
                while sent, offset < buffer.count {
                    let length = min(256 << 10, buffer.count - offset)
                    let chunk = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                    sent = PQputCopyData(raw, chunk, Int32(length)) == 1
                    offset += length
                }
            }
        }
        // Ending with an error message aborts the COPY server-side.
        let ended = sent ? PQputCopyEnd(raw, nil) : PQputCopyEnd(raw, "agion: sending the COPY data failed")
        var outcome: Result<Int, StoreError> = .failure(StoreError(.connectionFailed, "the COPY returned no result"))
        var first = true
        while let result = PQgetResult(raw) {
            if first { outcome = Result { () throws(StoreError) in try consume(result) { _, _, _ in () }.affected } } else { PQclear(result) }
            first = false
        }
        if ended != 1 || !sent, case .success = outcome {
            outcome = .failure(StoreError(.connectionFailed, String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return try outcome.get()
    }

    /// `statements` between BEGIN and COMMIT, one after the other on the
    /// calling thread; nil (rolled back) when one affects other than its
    /// `expectAffected` rows. A failing statement rolls back and throws.
    func transaction(_ statements: [Statement]) throws(StoreError) -> [(rows: [Row], affected: Int)]? {
        try transaction(statements, begin: true, commit: true)
    }

    /// `transaction`, with BEGIN or COMMIT left to the caller (a transaction
    /// that spans two batches and something in between, such as a publish).
    func transaction(_ statements: [Statement], begin: Bool, commit: Bool) throws(StoreError) -> [(rows: [Row], affected: Int)]? {
        if begin { _ = try execute("BEGIN", [], prepare: false) }
        var results: [(rows: [Row], affected: Int)] = []
        results.reserveCapacity(statements.count)
        do {
            for statement in statements {
                let result = try execute(statement.sql, statement.parameters, prepare: statement.prepared)
                if let expected = statement.expectAffected, result.affected != expected {
                    _ = try execute("ROLLBACK", [], prepare: false)
                    return nil
                }
                results.append(result)
            }
            if commit { _ = try execute("COMMIT", [], prepare: false) }
            return results
        } catch {
            _ = try? execute("ROLLBACK", [], prepare: false)
            throw error
        }
    }

    /// Waits up to `timeoutMilliseconds` for NOTIFYs on channels this connection
    /// LISTENs to, and returns their channel names (empty on timeout).
    func waitForNotifications(timeoutMilliseconds: Int32) throws(StoreError) -> [String] {
        var channels = drainNotifications()
        guard channels.isEmpty else { return channels }
        var descriptor = pollfd(fd: PQsocket(raw), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw StoreError(.connectionFailed, "connection has no socket") }
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready < 0 && errno != EINTR { throw StoreError(.connectionFailed, "poll failed: errno \(errno)") }
        if ready > 0 {
            guard PQconsumeInput(raw) == 1 else {
                throw StoreError(.connectionFailed, String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            channels = drainNotifications()
        }
        return channels
    }

    private func drainNotifications() -> [String] {
        var channels: [String] = []
        while let notification = PQnotifies(raw) {
            channels.append(String(cString: notification.pointee.relname))
            PQfreemem(notification)
        }
        return channels
    }

    private func statementName(for sql: String, parameterCount: Int) throws(StoreError) -> String {
        if let name = prepared[sql] { return name }
        let name = "agion_\(prepared.count)"
        _ = try consume(PQprepare(raw, name, sql, Int32(parameterCount), nil)) { _, _, _ in () }
        prepared[sql] = name
        return name
    }

    /// The rows of `result` (each non-NULL value read by `value`), with the
    /// column positions by name and the affected count; throws its error.
    private func consume<Value>(_ result: OpaquePointer?, value: (OpaquePointer, Int32, Int32) -> Value) throws(StoreError)
        -> (columns: [String: Int], rows: [[Value?]], affected: Int) {
        guard let result else {
            throw StoreError(.connectionFailed, String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return ([:], [], Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_TUPLES_OK:
            let rowCount = PQntuples(result), columnCount = PQnfields(result)
            var columns: [String: Int] = [:]
            for c in 0..<columnCount { columns[String(cString: PQfname(result, c))] = Int(c) }
            var rows: [[Value?]] = []
            rows.reserveCapacity(Int(rowCount))
            for r in 0..<rowCount {
                var values: [Value?] = []
                values.reserveCapacity(Int(columnCount))
                for c in 0..<columnCount { values.append(PQgetisnull(result, r, c) == 1 ? nil : value(result, r, c)) }
                rows.append(values)
            }
            return (columns, rows, Int(rowCount))
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines)
            let code: StoreError.Code = state.isEmpty && !isHealthy ? .connectionFailed : .forSQLState(state)
            throw StoreError(code, message, sqlState: state)
        }
    }
}

/// Routes server NOTICEs into the log instead of stderr.
private final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private func onNotice(_ closure: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let closure, let result else { return }
    let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? ""
    Unmanaged<NoticeSink>.fromOpaque(closure).takeUnretainedValue().logger.debug("postgres.notice", metadata: ["postgres.message": "\(message)"])
}

import Foundation
