/// The registry's NATS subjects and envelope types (docs/subjects.md).
public enum RegistrySubjects {
    /// The queue group every registry replica serves in.
    public static let queue = "registry"

    public static let register = "agion.rpc.registry.register"
    public static let heartbeat = "agion.rpc.registry.heartbeat"
    public static let deregister = "agion.rpc.registry.deregister"
    public static let get = "agion.rpc.registry.get"
    public static let list = "agion.rpc.registry.list"
    public static let search = "agion.rpc.registry.search"
    public static let versions = "agion.rpc.registry.versions"

    /// Events go to `agion.registry.evt.<tenant>.<event>` in stream `AGION_REGISTRY`.
    public static let stream = "AGION_REGISTRY"
    public static let eventSubjects = "agion.registry.evt.>"

    public static func eventSubject(tenant: String, event: String) -> String { "agion.registry.evt.\(tenant).\(event)" }

    /// Envelope types of the registry's events.
    public enum EventType {
        public static let agentRegistered = "agion.registry.agent_registered"
        public static let agentUpdated = "agion.registry.agent_updated"
        public static let agentDeregistered = "agion.registry.agent_deregistered"
        public static let agentHealthChanged = "agion.registry.agent_health_changed"
    }
}
