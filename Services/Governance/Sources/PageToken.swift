import AgionEnvelope
import Foundation

/// The opaque `page_token` of governance's paged queries: the position
/// (a sequence or row id) the next page continues from. Opaque so that clients
/// do not build tokens of their own and the encoding can change.
enum PageToken {
    static func after(_ position: Int64) -> String { Data(String(position).utf8).base64EncodedString() }

    /// The position a token stands for; nil for the empty token (the first page).
    static func position(_ token: String) throws -> Int64? {
        if token.isEmpty { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), let value = Int64(text), value >= 0 else {
            throw ErrorReply(code: ErrorReply.Code.invalidArgument, message: "page_token is not one this service issued", field: "page_token")
        }
        return value
    }
}
