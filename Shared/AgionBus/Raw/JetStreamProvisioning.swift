import AgionEnvelope
import CNats

extension JetStream {
    /// Creates the stream, or updates it to match `spec`.
    func provisionBlocking(_ spec: StreamSpec) throws(BusError) {
        let subjects = CStringArray(spec.subjects)
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var jsErr = jsErrCode(0)
        let name = strdup(spec.name)
        defer { free(name) }
        do {
            config.Name = UnsafePointer(name)
            config.Subjects = subjects.pointers
            config.SubjectsLen = Int32(subjects.count)
            config.Retention = spec.retention == .workQueue ? js_WorkQueuePolicy : js_LimitsPolicy
            config.Storage = js_FileStorage
            config.MaxAge = spec.maxAge.nanoseconds
            config.MaxMsgs = spec.maxMessages
            config.MaxMsgsPerSubject = spec.maxMessagesPerSubject
            config.MaxBytes = spec.maxBytes
            config.Duplicates = spec.duplicateWindow.nanoseconds
            config.Replicas = Int64(spec.replicas)
            let exists = js_GetStreamInfo(&info, context, spec.name, nil, &jsErr)
            if exists == NATS_OK {
                jsStreamInfo_Destroy(info)
                info = nil
                try check(js_UpdateStream(&info, context, &config, nil, &jsErr), "update stream \(spec.name)", jetStreamCode: jsErr)
            } else if exists == NATS_NOT_FOUND {
                try check(js_AddStream(&info, context, &config, nil, &jsErr), "add stream \(spec.name)", jetStreamCode: jsErr)
            } else {
                throw busError(exists, "stream info \(spec.name)", jetStreamCode: jsErr)
            }
            jsStreamInfo_Destroy(info)
        }
    }

    /// Creates the durable consumer, or updates it to match `spec`.
    func provisionBlocking(_ spec: ConsumerSpec) throws(BusError) {
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        var jsErr = jsErrCode(0)
        let durable = strdup(spec.durable), filter = strdup(spec.filterSubject)
        defer { free(durable); free(filter) }
        config.Durable = UnsafePointer(durable)
        config.AckPolicy = js_AckExplicit
        config.DeliverPolicy = spec.startsAtNew ? js_DeliverNew : js_DeliverAll
        config.AckWait = spec.ackWait.nanoseconds
        config.MaxDeliver = Int64(spec.maxDeliver)
        config.MaxAckPending = Int64(spec.maxAckPending)
        if !spec.filterSubject.isEmpty { config.FilterSubject = UnsafePointer(filter) }
        let exists = js_GetConsumerInfo(&info, context, spec.stream, spec.durable, nil, &jsErr)
        if exists == NATS_OK {
            // Where an existing durable starts cannot change.
            if let existing = info?.pointee.Config { config.DeliverPolicy = existing.pointee.DeliverPolicy }
            jsConsumerInfo_Destroy(info)
            info = nil
            try check(js_UpdateConsumer(&info, context, spec.stream, &config, nil, &jsErr),
                      "update consumer \(spec.stream)/\(spec.durable)", jetStreamCode: jsErr)
        } else if exists == NATS_NOT_FOUND {
            try check(js_AddConsumer(&info, context, spec.stream, &config, nil, &jsErr),
                      "add consumer \(spec.stream)/\(spec.durable)", jetStreamCode: jsErr)
        } else {
            throw busError(exists, "consumer info \(spec.stream)/\(spec.durable)", jetStreamCode: jsErr)
        }
        jsConsumerInfo_Destroy(info)
    }

    /// Deletes a stream; missing streams are not an error (used by tests and tools).
    func deleteStreamBlocking(_ name: String) throws(BusError) {
        var jsErr = jsErrCode(0)
        let status = js_DeleteStream(context, name, nil, &jsErr)
        if status != NATS_OK && status != NATS_NOT_FOUND {
            throw busError(status, "delete stream \(name)", jetStreamCode: jsErr)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
