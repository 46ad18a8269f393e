/// The name of a group of people (approvers): what API keys and tokens
/// carry (`groups`), what approval requests, mission steps and policy rules
/// name. One rule everywhere: 1-64 printable ASCII characters, no spaces and
/// no commas (groups travel comma-separated in headers and obligations).
public enum GroupName {
    public static let maxLength = 64

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && name.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ",") }
    }

    /// The refusal's wording, the same wherever a name is refused.
    public static let rule = "a group name: 1-64 printable characters, no spaces or commas"
}
