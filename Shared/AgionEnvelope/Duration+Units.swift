extension Duration {
    /// Whole milliseconds (truncated): what C APIs (cnats timeouts) and
    /// stored intervals take.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds (truncated): JetStream's durations and deadlines.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
