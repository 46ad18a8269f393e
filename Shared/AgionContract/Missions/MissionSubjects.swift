import AgionEnvelope
/// Coordination's and execution's NATS subjects, streams and envelope types
/// (docs/subjects.md, docs/missions.md).
public enum CoordinationSubjects {
    /// The queue group every coordination replica serves in.
    public static let queue = "coordination"

    public static let submit = "agion.rpc.coordination.submit"
    public static let get = "agion.rpc.coordination.get"
    public static let list = "agion.rpc.coordination.list"
    public static let events = "agion.rpc.coordination.events"
    public static let cancel = "agion.rpc.coordination.cancel"
    /// Resume a failed mission from its failed steps (`ReplayMissionRequest`).
    public static let replay = "agion.rpc.coordination.replay"
    /// The tenant's dead steps (`ListDeadStepsRequest`).
    public static let deadSteps = "agion.rpc.coordination.dlq.list"
    /// Approval requests (`ListApprovalsRequest`, `GetApprovalRequest`) and
    /// their decisions (`DecideApprovalRequest`): docs/missions.md.
    public static let listApprovals = "agion.rpc.coordination.approvals.list"
    public static let getApproval = "agion.rpc.coordination.approvals.get"
    public static let decideApproval = "agion.rpc.coordination.approvals.decide"
    /// Schedules (`CreateScheduleRequest`, `ScheduleRequest`, `ListSchedulesRequest`,
    /// `ListScheduleFiringsRequest`): docs/missions.md, "Schedules".
    public static let createSchedule = "agion.rpc.coordination.schedules.create"
    public static let getSchedule = "agion.rpc.coordination.schedules.get"
    public static let listSchedules = "agion.rpc.coordination.schedules.list"
    public static let pauseSchedule = "agion.rpc.coordination.schedules.pause"
    public static let resumeSchedule = "agion.rpc.coordination.schedules.resume"
    public static let triggerSchedule = "agion.rpc.coordination.schedules.trigger"
    public static let deleteSchedule = "agion.rpc.coordination.schedules.delete"
    public static let scheduleFirings = "agion.rpc.coordination.schedules.firings"

    /// Dead steps on the dead-letter stream (AGION_DLQ): `agion.dlq.steps.<tenant>`.
    public static func deadStepSubject(tenant: String) -> String { "agion.dlq.steps.\(tenant)" }
    public static let deadStepType = "agion.missions.step_dead_lettered"

    /// Mission events: `agion.missions.evt.<tenant>.<mission_id>` in `AGION_MISSIONS`,
    /// envelope type `agion.missions.<event>`, payload `agion.v1.MissionEvent`.
    public static let stream = "AGION_MISSIONS"
    public static let eventSubjects = "agion.missions.evt.>"
    public static func eventSubject(tenant: String, mission: String) -> String { "agion.missions.evt.\(tenant).\(mission)" }
    public static func eventType(_ name: String) -> String { "agion.missions.\(name)" }

    /// Live progress of running steps (partial results), not stored:
    /// `agion.missions.live.<tenant>.<mission_id>`.
    public static func liveSubject(tenant: String, mission: String) -> String { "agion.missions.live.\(tenant).\(mission)" }
    /// The envelope type of a live update (`agion.v1.StepProgress`), relayed by execution.
    public static let progressType = "agion.missions.step_progress"
}

public enum ExecutionSubjects {
    public static let queue = "execution"

    /// Step work: `agion.steps.run.<tenant>` in the work-queue stream
    /// `AGION_STEPS`, payload `agion.v1.StepWork`, consumed by execution
    /// replicas through one shared durable.
    public static let workStream = "AGION_STEPS"
    public static let workSubjects = "agion.steps.run.>"
    public static func workSubject(tenant: String) -> String { "agion.steps.run.\(tenant)" }
    public static let workType = "agion.steps.run"
    public static let workConsumer = "execution"

    /// What execution reports: `agion.execution.evt.<tenant>.<event>` in
    /// `AGION_EXECUTION` (`attempt_started`, `attempt_finished`).
    public static let stream = "AGION_EXECUTION"
    public static let eventSubjects = "agion.execution.evt.>"
    public static func eventSubject(tenant: String, event: String) -> String { "agion.execution.evt.\(tenant).\(event)" }
    public enum EventType {
        public static let attemptStarted = "agion.execution.attempt_started"
        public static let attemptFinished = "agion.execution.attempt_finished"
    }

    /// Broadcast (core NATS, `Bus.subscribe`): a mission ended; every
    /// execution replica stops that mission's attempts. Payload: the mission id.
    public static let cancelSubject = "agion.execution.cancel"

    /// An agent of `tenant` served over NATS answers here (`AgentSubjects.invoke`).
    public static func agentInvokeSubject(_ agentID: AgentID, tenant: TenantID) -> String {
        AgentSubjects.invoke(tenant: tenant.value, agent: agentID.description)
    }
}
