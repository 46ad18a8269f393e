import CNats
import Foundation

extension JetStream {
    /// The data of the last message stored on `subject` in `stream`, or nil
    /// when there is none (a stream used as key-value slots).
    public func lastMessage(stream: String, subject: String) async throws -> [UInt8]? {
        let result: Result<[UInt8]?, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                var stored: OpaquePointer?
                var jsErr = jsErrCode(0)
                let status = js_GetLastMsg(&stored, self.context, stream, subject, nil, &jsErr)
                if status == NATS_NOT_FOUND || jsErr == JSNoMessageFoundErr { return nil }
                try check(status, "get last \(subject) in \(stream)", jetStreamCode: jsErr)
                defer { natsMsg_Destroy(stored) }
                let count = Int(natsMsg_GetDataLength(stored))
                guard count > 0, let data = natsMsg_GetData(stored) else { return [] }
                return [UInt8](UnsafeRawBufferPointer(start: data, count: count))
            }
        }
        return try result.get()
    }

    /// Removes every message of `stream` whose subject matches `subjects`
    /// (wildcards allowed). Removing what is not there succeeds.
    public func purge(stream: String, subjects: String) async throws {
        let result: Result<Void, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                var options = jsOptions()
                jsOptions_Init(&options)
                var jsErr = jsErrCode(0)
                let filter = strdup(subjects)
                defer { free(filter) }
                options.Stream.Purge.Subject = UnsafePointer(filter)
                try check(js_PurgeStream(self.context, stream, &options, &jsErr), "purge \(subjects) in \(stream)", jetStreamCode: jsErr)
            }
        }
        try result.get()
    }
}
