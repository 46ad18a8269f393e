import AgionContract
import Hummingbird

/// Every /v1 route. Later services (missions) add theirs here; the router,
/// the permission checks and the OpenAPI document follow from this list.
enum RouteTable {
    static let all: [Route] = agents + governance + policies + missions + administration

    static let agents: [Route] = [
        Route(method: .post, path: "/v1/agents", operationID: "registerAgents",
              summary: "Register or update a container's agents (idempotent; a changed definition is a new version)",
              tag: "agents", permission: .register, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.register, request: "agion.v1.RegisterAgentsRequest",
                response: "agion.v1.RegisterAgentsResponse", body: .json, scope: .registration))),
        Route(method: .get, path: "/v1/agents", operationID: "listAgents",
              summary: "List agents with filters and pagination", tag: "agents", permission: .read, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.list, request: "agion.v1.ListAgentsRequest",
                response: "agion.v1.ListAgentsResponse", query: ["capability", "status", "container", "page_size", "page_token"]))),
        Route(method: .get, path: "/v1/agents/search", operationID: "searchAgents",
              summary: "Healthy agents with a capability, best trust first", tag: "agents", permission: .read, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.search, request: "agion.v1.SearchAgentsRequest",
                response: "agion.v1.ListAgentsResponse", query: ["capability", "limit"]))),
        Route(method: .get, path: "/v1/agents/{agent_id}", operationID: "getAgent",
              summary: "One agent", tag: "agents", permission: .read, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.get, request: "agion.v1.GetAgentRequest", response: "agion.v1.AgentRecord"))),
        Route(method: .delete, path: "/v1/agents/{agent_id}", operationID: "deregisterAgent",
              summary: "Deregister an agent (kept for history)", tag: "agents", permission: .deregister, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.deregister, request: "agion.v1.DeregisterAgentRequest",
                response: "agion.v1.AgentRecord", query: ["reason"]))),
        Route(method: .post, path: "/v1/agents/{agent_id}/heartbeat", operationID: "heartbeat",
              summary: "Report that an agent is alive", tag: "agents", permission: .heartbeat, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.heartbeat, request: "agion.v1.Heartbeat", response: "agion.v1.HeartbeatAck",
                body: .json, scope: .agentField("agent_id")))),
        Route(method: .get, path: "/v1/agents/{agent_id}/versions", operationID: "agentVersions",
              summary: "Every definition the agent has had", tag: "agents", permission: .read, action: .call(ServiceCall(
                service: "registry", subject: RegistrySubjects.versions, request: "agion.v1.AgentVersionsRequest",
                response: "agion.v1.AgentVersionsResponse"))),
        Route(method: .get, path: "/v1/agents/{agent_id}/trust", operationID: "agentTrust",
              summary: "The agent's trust score (overall or for a capability) and what changed it, newest first", tag: "agents",
              permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.trustHistory, request: "agion.v1.TrustHistoryRequest",
                response: "agion.v1.TrustHistoryResponse", query: ["capability", "page_size", "page_token"]))),
    ]

    static let governance: [Route] = [
        Route(method: .post, path: "/v1/governance/check", operationID: "check",
              summary: "May the agent perform the action (with this context, for this principal)?", tag: "governance",
              permission: .check, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.check, request: "agion.v1.CheckRequest", response: "agion.v1.Decision",
                body: .json, scope: .agentField("agent_id"), batched: true, fastPath: .check))),
        Route(method: .post, path: "/v1/governance/validate", operationID: "validateOutput",
              summary: "Check an agent's output against the tenant's output rules (recorded, counts towards trust)", tag: "governance",
              permission: .validate, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.validate, request: "agion.v1.ValidateOutputRequest",
                response: "agion.v1.ValidationResult", body: .json, scope: .agentField("agent_id")))),
        Route(method: .post, path: "/v1/governance/report", operationID: "reportExecution",
              summary: "What happened when an agent ran (success, failure or timeout, and its latency): counts towards trust", tag: "governance",
              permission: .report, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.report, request: "agion.v1.ExecutionReport",
                response: "agion.v1.TrustScore", body: .json, scope: .agentField("agent_id")))),
        Route(method: .post, path: "/v1/feedback", operationID: "feedback",
              summary: "User feedback on an agent or one of its executions", tag: "governance", permission: .feedback, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.feedback, request: "agion.v1.FeedbackRequest",
                response: "agion.v1.TrustScore", body: .json))),
        Route(method: .get, path: "/v1/decisions", operationID: "queryDecisions",
              summary: "The audit trail: decisions by agent, action, result, kind and time", tag: "governance", permission: .read,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditQuery, request: "agion.v1.AuditQuery",
                response: "agion.v1.AuditQueryResponse",
                query: ["agent_id", "action", "result", "kind", "decision_id", "from_unix_nanos", "to_unix_nanos", "page_size", "page_token"]))),
        Route(method: .post, path: "/v1/decisions/verify", operationID: "verifyDecisions",
              summary: "Verify the audit up to its latest signed head, from the last verified record (or all of it: full=true); "
                  + "short ranges answer with the result, long ones at once with a job to follow", tag: "governance", permission: .verifyAudit,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditVerify, request: "agion.v1.AuditVerifyRequest",
                response: "agion.v1.AuditVerifyResponse", query: ["full"]))),
        Route(method: .get, path: "/v1/audit/verifications", operationID: "listAuditVerifications",
              summary: "Verification jobs of the tenant's audit, newest first, with their progress and results", tag: "governance",
              permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditVerifications, request: "agion.v1.ListAuditVerificationsRequest",
                response: "agion.v1.ListAuditVerificationsResponse", query: ["limit"]))),
        Route(method: .get, path: "/v1/audit/verifications/{verification_id}", operationID: "getAuditVerification",
              summary: "One verification job: its progress, or its result", tag: "governance", permission: .read,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditVerification, request: "agion.v1.AuditVerificationRequest",
                response: "agion.v1.AuditVerifyResponse"))),
        Route(method: .get, path: "/v1/decisions/{decision_id}/proof", operationID: "decisionProof",
              summary: "Inclusion proof of a decision in the tenant's audit Merkle tree (RFC 9162), against a signed tree head", tag: "governance",
              permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditProof, request: "agion.v1.AuditProofRequest",
                response: "agion.v1.AuditInclusionProof", query: ["tree_size"])),
              conflict: "The decision is after the tree head of the `tree_size` asked for"),
        Route(method: .get, path: "/v1/audit/head", operationID: "auditTreeHead",
              summary: "The latest signed tree head of the tenant's audit (or the one at tree_size)", tag: "governance", permission: .read,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditHead, request: "agion.v1.AuditTreeHeadRequest",
                response: "agion.v1.AuditTreeHead", query: ["tree_size"]))),
        Route(method: .get, path: "/v1/audit/consistency", operationID: "auditConsistency",
              summary: "Consistency proof that the audit tree of `to` records extends the tree of `from` records (RFC 9162)", tag: "governance",
              permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditConsistency, request: "agion.v1.AuditConsistencyRequest",
                response: "agion.v1.AuditConsistencyProof", query: ["from", "to"])),
              conflict: "`from` is inside dropped archives and not at a multiple of 16 records"),
        Route(method: .get, path: "/v1/audit/keys", operationID: "auditKeys",
              summary: "The Ed25519 public keys that sign audit tree heads, by key id", tag: "governance", permission: .read,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditKeys, request: "agion.v1.AuditKeysRequest",
                response: "agion.v1.AuditKeysResponse"))),
        Route(method: .post, path: "/v1/audit/archives", operationID: "createAuditArchive",
              summary: "Set aside the records decided before a time (retention): export them, verify the export, then drop them", tag: "governance",
              permission: .archiveAudit, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.createAuditArchive, request: "agion.v1.CreateAuditArchiveRequest",
                response: "agion.v1.AuditArchive", body: .json, status: .created)),
              conflict: "Nothing to archive before that time (archives end at a multiple of 16 records under the latest head)"),
        Route(method: .get, path: "/v1/audit/archives", operationID: "listAuditArchives",
              summary: "The tenant's audit archives, oldest first, and whether their records were dropped", tag: "governance", permission: .read,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.listAuditArchives, request: "agion.v1.ListAuditArchivesRequest",
                response: "agion.v1.ListAuditArchivesResponse"))),
        Route(method: .get, path: "/v1/audit/archives/{to_size}/records", operationID: "auditArchiveRecords",
              summary: "A page of an archive's records, as chained (to export it)", tag: "governance", permission: .archiveAudit,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.auditArchiveRecords, request: "agion.v1.AuditArchiveRecordsRequest",
                response: "agion.v1.AuditArchiveRecordsResponse", query: ["after_sequence", "page_size"])),
              conflict: "The archive's records were dropped"),
        Route(method: .post, path: "/v1/audit/archives/{to_size}/drop", operationID: "dropAuditArchive",
              summary: "Delete an exported archive's records; the tree's heads and the proofs of what is kept still verify", tag: "governance",
              permission: .archiveAudit, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.dropAuditArchive, request: "agion.v1.DropAuditArchiveRequest",
                response: "agion.v1.AuditArchive")),
              conflict: "An earlier archive's records are not dropped yet (drops go oldest first)"),
    ]

    static let policies: [Route] = [
        Route(method: .post, path: "/v1/policies", operationID: "putPolicy",
              summary: "A new policy revision from a YAML or JSON document (active unless draft=true)", tag: "policies",
              permission: .managePolicies, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.putPolicy, request: "agion.v1.PutPolicyRequest",
                response: "agion.v1.PolicyRevision", body: .document(field: "document"), query: ["comment", "draft"], status: .created))),
        Route(method: .get, path: "/v1/policies", operationID: "listPolicies",
              summary: "Policy revisions, newest first", tag: "policies", permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.listPolicies, request: "agion.v1.ListPolicyRevisionsRequest",
                response: "agion.v1.ListPolicyRevisionsResponse", query: ["limit"]))),
        Route(method: .get, path: "/v1/policies/{revision}", operationID: "getPolicy",
              summary: "One revision with its document", tag: "policies", permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.getPolicy, request: "agion.v1.GetPolicyRequest",
                response: "agion.v1.PolicyDocument"))),
        Route(method: .post, path: "/v1/policies/{revision}/activate", operationID: "activatePolicy",
              summary: "Make a revision the active one (also how to roll back)", tag: "policies", permission: .managePolicies,
              action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.activatePolicy, request: "agion.v1.ActivatePolicyRequest",
                response: "agion.v1.PolicyRevision"))),
        Route(method: .post, path: "/v1/policies/explain", operationID: "explainPolicy",
              summary: "Dry run: evaluate a check against the active policy or a draft document, recording nothing", tag: "policies",
              permission: .read, action: .call(ServiceCall(
                service: "governance", subject: GovernanceSubjects.explain, request: "agion.v1.ExplainRequest",
                response: "agion.v1.Decision", body: .json))),
    ]

    static let missions: [Route] = [
        Route(method: .post, path: "/v1/missions", operationID: "submitMission",
              summary: "Submit a mission: a DAG of steps run by agents (docs/missions.md); the same Idempotency-Key returns the same mission",
              tag: "missions", permission: .runMissions, action: .call(ServiceCall(
                service: "coordination", subject: CoordinationSubjects.submit, request: "agion.v1.SubmitMissionRequest",
                response: "agion.v1.Mission", body: .jsonField("definition"), headers: ["Idempotency-Key": "idempotency_key"], status: .created))),
        Route(method: .get, path: "/v1/missions", operationID: "listMissions",
              summary: "Missions, newest first, by status, name and submission time", tag: "missions", permission: .read, action: .call(ServiceCall(
                service: "coordination", subject: CoordinationSubjects.list, request: "agion.v1.ListMissionsRequest",
                response: "agion.v1.ListMissionsResponse", query: ["status", "name", "since_unix_nanos", "until_unix_nanos", "page_size", "page_token"]))),
        Route(method: .get, path: "/v1/missions/{mission_id}", operationID: "getMission",
              summary: "A mission: its status, each step's status, attempts, agent, output and usage", tag: "missions", permission: .read,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.get, request: "agion.v1.GetMissionRequest",
                                        response: "agion.v1.Mission"))),
        Route(method: .get, path: "/v1/missions/{mission_id}/events", operationID: "missionEvents",
              summary: "A mission's history, oldest first, after a position", tag: "missions", permission: .read, action: .call(ServiceCall(
                service: "coordination", subject: CoordinationSubjects.events, request: "agion.v1.MissionEventsRequest",
                response: "agion.v1.MissionEventsResponse", query: ["after_position", "limit"]))),
        Route(method: .get, path: "/v1/missions/{mission_id}/stream", operationID: "streamMission",
              summary: "Server-sent events of a mission as they happen, from Last-Event-ID (a position) on; ends with its final event",
              tag: "missions", permission: .read, action: .missionStream),
        Route(method: .get, path: "/v1/missions/{mission_id}/steps/{step_id}/output", operationID: "getStepOutput",
              summary: "A step's output as JSON, the whole of it even when it is stored apart from the history (up to 16 MiB)",
              tag: "missions", permission: .read, action: .stepOutput),
        Route(method: .post, path: "/v1/missions/{mission_id}/cancel", operationID: "cancelMission",
              summary: "Cancel a mission: running steps are stopped, nothing new starts", tag: "missions", permission: .runMissions,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.cancel, request: "agion.v1.CancelMissionRequest",
                                        response: "agion.v1.Mission", body: .optionalJSON))),
        Route(method: .post, path: "/v1/missions/{mission_id}/replay", operationID: "replayMission",
              summary: "Resume a mission that failed because steps failed: those steps (or the step_ids given) get fresh attempts",
              tag: "missions", permission: .runMissions,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.replay, request: "agion.v1.ReplayMissionRequest",
                                        response: "agion.v1.Mission", body: .optionalJSON))),
        Route(method: .get, path: "/v1/dlq/steps", operationID: "listDeadSteps",
              summary: "Steps that failed for good (the dead-letter queue of missions), newest first, with their input and every error",
              tag: "missions", permission: .read, action: .call(ServiceCall(
                service: "coordination", subject: CoordinationSubjects.deadSteps, request: "agion.v1.ListDeadStepsRequest",
                response: "agion.v1.ListDeadStepsResponse", query: ["mission_id", "include_replayed", "page_size", "page_token"]))),
        Route(method: .get, path: "/v1/approvals", operationID: "listApprovals",
              summary: "Approval requests, newest first; mine=true: the pending ones the caller may decide", tag: "missions", permission: .read,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.listApprovals, request: "agion.v1.ListApprovalsRequest",
                                        response: "agion.v1.ListApprovalsResponse", query: ["status", "mission_id", "mine", "page_size", "page_token"]))),
        Route(method: .get, path: "/v1/approvals/{approval_id}", operationID: "getApproval",
              summary: "One approval request: the step, agent, action and exact input it is for, and its decision", tag: "missions",
              permission: .read, action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.getApproval,
                                                           request: "agion.v1.GetApprovalRequest", response: "agion.v1.Approval"))),
        Route(method: .post, path: "/v1/approvals/{approval_id}/approve", operationID: "approveApproval",
              summary: "Approve a request (not one of your own missions'): the step runs with exactly the input approved", tag: "missions",
              permission: .approve, action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.decideApproval,
                                                              request: "agion.v1.DecideApprovalRequest", response: "agion.v1.Approval",
                                                              body: .optionalJSON, fixed: ["approve": .bool(true)]))),
        Route(method: .post, path: "/v1/approvals/{approval_id}/reject", operationID: "rejectApproval",
              summary: "Reject a request: the step fails (approval_rejected)", tag: "missions", permission: .approve,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.decideApproval, request: "agion.v1.DecideApprovalRequest",
                                        response: "agion.v1.Approval", body: .optionalJSON, fixed: ["approve": .bool(false)]))),
    ] + schedules

    static let schedules: [Route] = [
        Route(method: .post, path: "/v1/schedules", operationID: "createSchedule",
              summary: "Create a schedule: a mission template started at each time of a cron expression, with overlap and catch-up policies",
              tag: "schedules", permission: .runMissions, action: .call(ServiceCall(
                service: "coordination", subject: CoordinationSubjects.createSchedule, request: "agion.v1.CreateScheduleRequest",
                response: "agion.v1.Schedule", body: .jsonField("schedule"), status: .created))),
        Route(method: .get, path: "/v1/schedules", operationID: "listSchedules", summary: "Schedules, newest first", tag: "schedules",
              permission: .read, action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.listSchedules,
                                                           request: "agion.v1.ListSchedulesRequest", response: "agion.v1.ListSchedulesResponse",
                                                           query: ["page_size", "page_token"]))),
        Route(method: .get, path: "/v1/schedules/{schedule_id}", operationID: "getSchedule",
              summary: "A schedule: its settings, next firing, last mission and counts", tag: "schedules", permission: .read,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.getSchedule, request: "agion.v1.ScheduleRequest",
                                        response: "agion.v1.Schedule"))),
        Route(method: .delete, path: "/v1/schedules/{schedule_id}", operationID: "deleteSchedule",
              summary: "Delete a schedule (the missions it started stay)", tag: "schedules", permission: .runMissions,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.deleteSchedule, request: "agion.v1.ScheduleRequest",
                                        response: "agion.v1.Schedule"))),
        Route(method: .post, path: "/v1/schedules/{schedule_id}/pause", operationID: "pauseSchedule",
              summary: "Pause a schedule: nothing fires until it is resumed", tag: "schedules", permission: .runMissions,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.pauseSchedule, request: "agion.v1.ScheduleRequest",
                                        response: "agion.v1.Schedule"))),
        Route(method: .post, path: "/v1/schedules/{schedule_id}/resume", operationID: "resumeSchedule",
              summary: "Resume a paused schedule from its next time on (what fell due while paused does not run)", tag: "schedules",
              permission: .runMissions, action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.resumeSchedule,
                                                                 request: "agion.v1.ScheduleRequest", response: "agion.v1.Schedule"))),
        Route(method: .post, path: "/v1/schedules/{schedule_id}/trigger", operationID: "triggerSchedule",
              summary: "Fire a schedule now (its overlap policy applies); answers the firing", tag: "schedules", permission: .runMissions,
              action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.triggerSchedule, request: "agion.v1.ScheduleRequest",
                                        response: "agion.v1.ScheduleFiring"))),
        Route(method: .get, path: "/v1/schedules/{schedule_id}/firings", operationID: "scheduleFirings",
              summary: "A schedule's firings, newest first: started (with the mission), skipped or buffered", tag: "schedules",
              permission: .read, action: .call(ServiceCall(service: "coordination", subject: CoordinationSubjects.scheduleFirings,
                                                           request: "agion.v1.ListScheduleFiringsRequest",
                                                           response: "agion.v1.ListScheduleFiringsResponse", query: ["page_size", "page_token"]))),
    ]

    static let administration: [Route] = [
        Route(method: .post, path: "/v1/tenants", operationID: "createTenant",
              summary: "Create a tenant and its first admin key (platform administrators)", tag: "administration",
              permission: .manageTenants, action: .local(.createTenant)),
        Route(method: .get, path: "/v1/tenants", operationID: "listTenants",
              summary: "Every tenant (platform administrators)", tag: "administration", permission: .manageTenants, action: .local(.listTenants)),
        Route(method: .post, path: "/v1/api-keys", operationID: "createAPIKey",
              summary: "Create an API key in the caller's tenant; the key is shown only in this response", tag: "administration",
              permission: .manageKeys, action: .local(.createKey)),
        Route(method: .get, path: "/v1/api-keys", operationID: "listAPIKeys",
              summary: "The tenant's API keys (never their secrets)", tag: "administration", permission: .manageKeys, action: .local(.listKeys)),
        Route(method: .delete, path: "/v1/api-keys/{key_id}", operationID: "revokeAPIKey",
              summary: "Revoke a key at once on every gateway replica", tag: "administration", permission: .manageKeys,
              action: .local(.revokeKey)),
        Route(method: .post, path: "/v1/nats-credentials", operationID: "createNATSCredential",
              summary: "NATS credentials for an agent container, allowing only its agents' subjects; the .creds file is shown only in this response",
              tag: "administration", permission: .manageKeys, action: .local(.createNATSCredential)),
        Route(method: .get, path: "/v1/nats-credentials", operationID: "listNATSCredentials",
              summary: "The tenant's NATS credentials (never their seeds)", tag: "administration", permission: .manageKeys,
              action: .local(.listNATSCredentials)),
        Route(method: .delete, path: "/v1/nats-credentials/{credential_id}", operationID: "revokeNATSCredential",
              summary: "Revoke NATS credentials: NATS disconnects their connections and refuses them from now on", tag: "administration",
              permission: .manageKeys, action: .local(.revokeNATSCredential)),
    ]
}

/// The served /v1 routes as method and path (tests hold them against /openapi.json).
public enum GatewayRoutes {
    public static var all: [(method: String, path: String)] { RouteTable.all.map { ($0.method.rawValue, $0.path) } }
    /// With each route's operation id (the tests' role matrix names routes by it).
    public static var operations: [(method: String, path: String, operationID: String)] {
        RouteTable.all.map { ($0.method.rawValue, $0.path, $0.operationID) }
    }
    /// The routes whose service can refuse with failed-precondition, by operation id.
    public static var conflicts: Set<String> { Set(RouteTable.all.filter { $0.conflict != nil }.map(\.operationID)) }
}
