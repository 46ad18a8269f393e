import CNats

/// The one choke point that turns a cnats status into a `BusError`.
@inline(__always)
func check(_ status: natsStatus, _ operation: @autoclosure () -> String, jetStreamCode: jsErrCode = jsErrCode(0)) throws(BusError) {
    guard status != NATS_OK else { return }
    throw busError(status, operation(), jetStreamCode: jetStreamCode)
}

func busError(_ status: natsStatus, _ operation: String, jetStreamCode: jsErrCode = jsErrCode(0)) -> BusError {
    let text = String(cString: natsStatus_GetText(status))
    // nats_GetLastError is per thread: read it here, on the thread that failed.
    let detail = nats_GetLastError(nil).map { String(cString: $0) } ?? ""
    let message = detail.isEmpty || detail == text ? "\(operation): \(text)" : "\(operation): \(text) (\(detail))"
    let code: BusError.Code = switch status {
    case NATS_TIMEOUT: .timeout
    case NATS_NO_RESPONDERS: .noResponders
    case NATS_CONNECTION_CLOSED, NATS_CONNECTION_DISCONNECTED, NATS_DRAINING, NATS_INVALID_SUBSCRIPTION: .closed
    case NATS_NO_SERVER, NATS_CONNECTION_AUTH_FAILED, NATS_NOT_PERMITTED: .connectionFailed
    case NATS_INVALID_ARG, NATS_INVALID_SUBJECT, NATS_MAX_PAYLOAD: .invalidArgument
    default: jetStreamCode.rawValue != 0 ? .jetStream : .io
    }
    return BusError(code, message, jetStreamCode: Int(jetStreamCode.rawValue))
}

/// `char *` arrays for cnats configuration structs, valid while the value lives.
final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let count: Int
    private let owned: [UnsafeMutablePointer<CChar>]

    init(_ strings: [String]) {
        owned = strings.map { strdup($0)! }
        count = strings.count
        pointers = .allocate(capacity: max(count, 1))
        for (i, p) in owned.enumerated() { pointers[i] = UnsafePointer(p) }
    }

    deinit {
        owned.forEach { free($0) }
        pointers.deallocate()
    }
}

#if canImport(Glibc)
import Glibc
#endif
