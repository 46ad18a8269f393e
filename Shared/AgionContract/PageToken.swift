import AgionEnvelope
import Foundation

/// The opaque `page_token` of every paged query: where the next page goes on
/// from (the last row's keys), base64 so clients do not build tokens of their
/// own and the encoding can change. One codec for every service.
public enum PageToken {
    /// A token for the page after the row whose keys are `parts`.
    public static func after(_ parts: [String]) -> String {
        Data(parts.joined(separator: "\n").utf8).base64EncodedString()
    }

    /// A token for the page after `position` (a sequence or row id).
    public static func after(_ position: Int64) -> String { after([String(position)]) }

    /// The keys a token stands for (`count` of them), nil for the empty token
    /// (the first page); `invalid_argument` on `page_token` for anything else.
    public static func parts(_ token: String, count: Int) throws(ErrorReply) -> [String]? {
        if token.isEmpty { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else { throw invalidToken }
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count else { throw invalidToken }
        return parts
    }

    /// The position a token from `after(_: Int64)` stands for; nil for the empty token.
    public static func position(_ token: String) throws(ErrorReply) -> Int64? {
        guard let parts = try parts(token, count: 1) else { return nil }
        guard let value = Int64(parts[0]), value >= 0 else { throw invalidToken }
        return value
    }

    /// The error for a token this service did not issue.
    public static var invalidToken: ErrorReply {
        ErrorReply(code: .invalidArgument, message: "page_token is not one this service issued", field: "page_token")
    }
}
