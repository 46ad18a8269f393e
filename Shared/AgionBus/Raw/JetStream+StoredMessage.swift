import CNats

extension JetStream {
    /// Reads message `sequence` back from `stream` and dead-letters it (for
    /// messages JetStream stopped delivering without a verdict).
    func deadLetterStored(stream: String, sequence: UInt64, consumer: String, deliveries: UInt64, reason: String) async throws {
        let result: Result<(String, [UInt8]), BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                var stored: OpaquePointer?
                var jsErr = jsErrCode(0)
                try check(js_GetMsg(&stored, self.context, stream, sequence, nil, &jsErr), "get \(stream)#\(sequence)", jetStreamCode: jsErr)
                defer { natsMsg_Destroy(stored) }
                let subject = String(cString: natsMsg_GetSubject(stored))
                let bytes = [UInt8](UnsafeRawBufferPointer(start: natsMsg_GetData(stored), count: Int(natsMsg_GetDataLength(stored))))
                return (subject, bytes)
            }
        }
        let (subject, bytes) = try result.get()
        try await storeDeadLetter(bytes: bytes, originalSubject: subject, stream: stream, sequence: sequence,
                                  consumer: consumer, deliveries: deliveries, reason: reason)
    }
}
