/// One statement of a batched transaction (`Connection.transaction(_:)`).
public struct Statement: Sendable {
    public var sql: String
    public var parameters: [PostgresValue]
    /// Prepared once per connection and executed by name afterwards (hot statements).
    public var prepared: Bool
    /// The rows it must affect; any other count rolls the whole transaction back.
    public var expectAffected: Int?

    public init(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = false, expectAffected: Int? = nil) {
        self.sql = sql
        self.parameters = parameters.map(\.postgresValue)
        self.prepared = prepared
        self.expectAffected = expectAffected
    }
}
