import AgionBus
import AgionContract

/// The event streams of the services, declared once so every service that
/// provisions one (its producer, and consumers that may start first) declares
/// it identically: provisioning is create-or-update.
public enum EventStreams {
    /// Events are kept 30 days: long enough for a consumer to be down over a
    /// holiday and catch up, bounded so the disk does not fill.
    static let retention: Duration = .seconds(30 * 24 * 3600)

    public static let registry = StreamSpec(name: RegistrySubjects.stream, subjects: [RegistrySubjects.eventSubjects], maxAge: retention)
    public static let governance = StreamSpec(name: GovernanceSubjects.stream, subjects: [GovernanceSubjects.eventSubjects], maxAge: retention)
    public static let missions = StreamSpec(name: CoordinationSubjects.stream, subjects: [CoordinationSubjects.eventSubjects], maxAge: retention)
    public static let execution = StreamSpec(name: ExecutionSubjects.stream, subjects: [ExecutionSubjects.eventSubjects], maxAge: retention)
    /// Step work: a work queue (a message goes once it is acked), kept at
    /// most a week for work no replica took.
    public static let steps = StreamSpec(name: ExecutionSubjects.workStream, subjects: [ExecutionSubjects.workSubjects], retention: .workQueue,
                                         maxAge: .seconds(7 * 24 * 3600))
}
