import CAgionProto
import CProtobufC

extension ProtoSchema {
    /// Every contract message's generated descriptor, by full name.
    static let descriptors: [String: MessageDescriptor] = {
        let all = [
            MessageDescriptor(Agion__V1__Header.self, agion__v1__header__init),
            MessageDescriptor(Agion__V1__Envelope.self, agion__v1__envelope__init),
            MessageDescriptor(Agion__V1__ErrorReply.self, agion__v1__error_reply__init),
            MessageDescriptor(Agion__V1__EnvelopeBatch.self, agion__v1__envelope_batch__init),
            MessageDescriptor(Agion__V1__AgentEndpoint.self, agion__v1__agent_endpoint__init),
            MessageDescriptor(Agion__V1__Agent.self, agion__v1__agent__init),
            MessageDescriptor(Agion__V1__RegisterAgentsRequest.self, agion__v1__register_agents_request__init),
            MessageDescriptor(Agion__V1__RegisterAgentsResponse.self, agion__v1__register_agents_response__init),
            MessageDescriptor(Agion__V1__Heartbeat.self, agion__v1__heartbeat__init),
            MessageDescriptor(Agion__V1__HeartbeatAck.self, agion__v1__heartbeat_ack__init),
            MessageDescriptor(Agion__V1__AgentRecord.self, agion__v1__agent_record__init),
            MessageDescriptor(Agion__V1__DeregisterAgentRequest.self, agion__v1__deregister_agent_request__init),
            MessageDescriptor(Agion__V1__GetAgentRequest.self, agion__v1__get_agent_request__init),
            MessageDescriptor(Agion__V1__ListAgentsRequest.self, agion__v1__list_agents_request__init),
            MessageDescriptor(Agion__V1__ListAgentsResponse.self, agion__v1__list_agents_response__init),
            MessageDescriptor(Agion__V1__SearchAgentsRequest.self, agion__v1__search_agents_request__init),
            MessageDescriptor(Agion__V1__AgentRegistered.self, agion__v1__agent_registered__init),
            MessageDescriptor(Agion__V1__AgentDeregistered.self, agion__v1__agent_deregistered__init),
            MessageDescriptor(Agion__V1__AgentHealthChanged.self, agion__v1__agent_health_changed__init),
            MessageDescriptor(Agion__V1__AgentVersionsRequest.self, agion__v1__agent_versions_request__init),
            MessageDescriptor(Agion__V1__AgentVersion.self, agion__v1__agent_version__init),
            MessageDescriptor(Agion__V1__AgentVersionsResponse.self, agion__v1__agent_versions_response__init),
            MessageDescriptor(Agion__V1__Value.self, agion__v1__value__init),
            MessageDescriptor(Agion__V1__ListValue.self, agion__v1__list_value__init),
            MessageDescriptor(Agion__V1__Field.self, agion__v1__field__init),
            MessageDescriptor(Agion__V1__StructValue.self, agion__v1__struct_value__init),
            MessageDescriptor(Agion__V1__CheckRequest.self, agion__v1__check_request__init),
            MessageDescriptor(Agion__V1__Obligation.self, agion__v1__obligation__init),
            MessageDescriptor(Agion__V1__Decision.self, agion__v1__decision__init),
            MessageDescriptor(Agion__V1__TrustScoresRequest.self, agion__v1__trust_scores_request__init),
            MessageDescriptor(Agion__V1__TrustScore.self, agion__v1__trust_score__init),
            MessageDescriptor(Agion__V1__TrustScoresResponse.self, agion__v1__trust_scores_response__init),
            MessageDescriptor(Agion__V1__TrustHistoryRequest.self, agion__v1__trust_history_request__init),
            MessageDescriptor(Agion__V1__TrustHistoryEntry.self, agion__v1__trust_history_entry__init),
            MessageDescriptor(Agion__V1__TrustHistoryResponse.self, agion__v1__trust_history_response__init),
            MessageDescriptor(Agion__V1__ExplainRequest.self, agion__v1__explain_request__init),
            MessageDescriptor(Agion__V1__PolicyRevision.self, agion__v1__policy_revision__init),
            MessageDescriptor(Agion__V1__PutPolicyRequest.self, agion__v1__put_policy_request__init),
            MessageDescriptor(Agion__V1__GetPolicyRequest.self, agion__v1__get_policy_request__init),
            MessageDescriptor(Agion__V1__PolicyDocument.self, agion__v1__policy_document__init),
            MessageDescriptor(Agion__V1__ListPolicyRevisionsRequest.self, agion__v1__list_policy_revisions_request__init),
            MessageDescriptor(Agion__V1__ListPolicyRevisionsResponse.self, agion__v1__list_policy_revisions_response__init),
            MessageDescriptor(Agion__V1__ActivatePolicyRequest.self, agion__v1__activate_policy_request__init),
            MessageDescriptor(Agion__V1__ValidateOutputRequest.self, agion__v1__validate_output_request__init),
            MessageDescriptor(Agion__V1__Violation.self, agion__v1__violation__init),
            MessageDescriptor(Agion__V1__StoredOutput.self, agion__v1__stored_output__init),
            MessageDescriptor(Agion__V1__ValidationResult.self, agion__v1__validation_result__init),
            MessageDescriptor(Agion__V1__ExecutionReport.self, agion__v1__execution_report__init),
            MessageDescriptor(Agion__V1__FeedbackRequest.self, agion__v1__feedback_request__init),
            MessageDescriptor(Agion__V1__TrustChanged.self, agion__v1__trust_changed__init),
            MessageDescriptor(Agion__V1__AuditRecord.self, agion__v1__audit_record__init),
            MessageDescriptor(Agion__V1__AuditQuery.self, agion__v1__audit_query__init),
            MessageDescriptor(Agion__V1__AuditQueryResponse.self, agion__v1__audit_query_response__init),
            MessageDescriptor(Agion__V1__DecisionsRecorded.self, agion__v1__decisions_recorded__init),
            MessageDescriptor(Agion__V1__AuditVerifyRequest.self, agion__v1__audit_verify_request__init),
            MessageDescriptor(Agion__V1__AuditVerifyResponse.self, agion__v1__audit_verify_response__init),
            MessageDescriptor(Agion__V1__AuditVerificationRequest.self, agion__v1__audit_verification_request__init),
            MessageDescriptor(Agion__V1__ListAuditVerificationsRequest.self, agion__v1__list_audit_verifications_request__init),
            MessageDescriptor(Agion__V1__ListAuditVerificationsResponse.self, agion__v1__list_audit_verifications_response__init),
            MessageDescriptor(Agion__V1__AuditTreeHead.self, agion__v1__audit_tree_head__init),
            MessageDescriptor(Agion__V1__AuditTreeHeadRequest.self, agion__v1__audit_tree_head_request__init),
            MessageDescriptor(Agion__V1__AuditProofRequest.self, agion__v1__audit_proof_request__init),
            MessageDescriptor(Agion__V1__AuditInclusionProof.self, agion__v1__audit_inclusion_proof__init),
            MessageDescriptor(Agion__V1__AuditConsistencyRequest.self, agion__v1__audit_consistency_request__init),
            MessageDescriptor(Agion__V1__AuditConsistencyProof.self, agion__v1__audit_consistency_proof__init),
            MessageDescriptor(Agion__V1__AuditKeysRequest.self, agion__v1__audit_keys_request__init),
            MessageDescriptor(Agion__V1__AuditKeysResponse.self, agion__v1__audit_keys_response__init),
            MessageDescriptor(Agion__V1__AuditSigningKey.self, agion__v1__audit_signing_key__init),
            MessageDescriptor(Agion__V1__CreateAuditArchiveRequest.self, agion__v1__create_audit_archive_request__init),
            MessageDescriptor(Agion__V1__AuditArchive.self, agion__v1__audit_archive__init),
            MessageDescriptor(Agion__V1__ListAuditArchivesRequest.self, agion__v1__list_audit_archives_request__init),
            MessageDescriptor(Agion__V1__ListAuditArchivesResponse.self, agion__v1__list_audit_archives_response__init),
            MessageDescriptor(Agion__V1__AuditArchiveRecordsRequest.self, agion__v1__audit_archive_records_request__init),
            MessageDescriptor(Agion__V1__AuditArchiveRecord.self, agion__v1__audit_archive_record__init),
            MessageDescriptor(Agion__V1__AuditArchiveRecordsResponse.self, agion__v1__audit_archive_records_response__init),
            MessageDescriptor(Agion__V1__DropAuditArchiveRequest.self, agion__v1__drop_audit_archive_request__init),
            MessageDescriptor(Agion__V1__AgentInvocation.self, agion__v1__agent_invocation__init),
            MessageDescriptor(Agion__V1__AgentResult.self, agion__v1__agent_result__init),
            MessageDescriptor(Agion__V1__StepProgress.self, agion__v1__step_progress__init),
            MessageDescriptor(Agion__V1__AttemptFinished.self, agion__v1__attempt_finished__init),
            MessageDescriptor(Agion__V1__AttemptStarted.self, agion__v1__attempt_started__init),
            MessageDescriptor(Agion__V1__CancelMissionRequest.self, agion__v1__cancel_mission_request__init),
            MessageDescriptor(Agion__V1__DeadStep.self, agion__v1__dead_step__init),
            MessageDescriptor(Agion__V1__ListDeadStepsRequest.self, agion__v1__list_dead_steps_request__init),
            MessageDescriptor(Agion__V1__ListDeadStepsResponse.self, agion__v1__list_dead_steps_response__init),
            MessageDescriptor(Agion__V1__ApprovalRequirement.self, agion__v1__approval_requirement__init),
            MessageDescriptor(Agion__V1__Approval.self, agion__v1__approval__init),
            MessageDescriptor(Agion__V1__ListApprovalsRequest.self, agion__v1__list_approvals_request__init),
            MessageDescriptor(Agion__V1__ListApprovalsResponse.self, agion__v1__list_approvals_response__init),
            MessageDescriptor(Agion__V1__GetApprovalRequest.self, agion__v1__get_approval_request__init),
            MessageDescriptor(Agion__V1__DecideApprovalRequest.self, agion__v1__decide_approval_request__init),
            MessageDescriptor(Agion__V1__Schedule.self, agion__v1__schedule__init),
            MessageDescriptor(Agion__V1__CreateScheduleRequest.self, agion__v1__create_schedule_request__init),
            MessageDescriptor(Agion__V1__ScheduleRequest.self, agion__v1__schedule_request__init),
            MessageDescriptor(Agion__V1__ListSchedulesRequest.self, agion__v1__list_schedules_request__init),
            MessageDescriptor(Agion__V1__ListSchedulesResponse.self, agion__v1__list_schedules_response__init),
            MessageDescriptor(Agion__V1__ScheduleFiring.self, agion__v1__schedule_firing__init),
            MessageDescriptor(Agion__V1__ListScheduleFiringsRequest.self, agion__v1__list_schedule_firings_request__init),
            MessageDescriptor(Agion__V1__ListScheduleFiringsResponse.self, agion__v1__list_schedule_firings_response__init),
            MessageDescriptor(Agion__V1__ReplayMissionRequest.self, agion__v1__replay_mission_request__init),
            MessageDescriptor(Agion__V1__GetMissionRequest.self, agion__v1__get_mission_request__init),
            MessageDescriptor(Agion__V1__ListMissionsRequest.self, agion__v1__list_missions_request__init),
            MessageDescriptor(Agion__V1__ListMissionsResponse.self, agion__v1__list_missions_response__init),
            MessageDescriptor(Agion__V1__Mission.self, agion__v1__mission__init),
            MessageDescriptor(Agion__V1__MissionBudget.self, agion__v1__mission_budget__init),
            MessageDescriptor(Agion__V1__MissionDefinition.self, agion__v1__mission_definition__init),
            MessageDescriptor(Agion__V1__MissionEvent.self, agion__v1__mission_event__init),
            MessageDescriptor(Agion__V1__MissionEventsRequest.self, agion__v1__mission_events_request__init),
            MessageDescriptor(Agion__V1__MissionEventsResponse.self, agion__v1__mission_events_response__init),
            MessageDescriptor(Agion__V1__MissionRetryPolicy.self, agion__v1__mission_retry_policy__init),
            MessageDescriptor(Agion__V1__MissionStep.self, agion__v1__mission_step__init),
            MessageDescriptor(Agion__V1__MissionStepDefinition.self, agion__v1__mission_step_definition__init),
            MessageDescriptor(Agion__V1__MissionSummary.self, agion__v1__mission_summary__init),
            MessageDescriptor(Agion__V1__StepError.self, agion__v1__step_error__init),
            MessageDescriptor(Agion__V1__StepWork.self, agion__v1__step_work__init),
            MessageDescriptor(Agion__V1__SubmitMissionRequest.self, agion__v1__submit_mission_request__init),
            MessageDescriptor(Agion__V1__Usage.self, agion__v1__usage__init),
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    }()
}

/// A protobuf-c message descriptor. Taken from a message the generated `init`
/// function set up, so it is the generated static descriptor itself (nested
/// field descriptors point at those, and protobuf-c checks their identity).
struct MessageDescriptor: @unchecked Sendable {
    // @unchecked: points at immutable static data generated by protoc-c.
    let raw: UnsafePointer<ProtobufCMessageDescriptor>

    init<Message>(_ type: Message.Type, _ initialize: (UnsafeMutablePointer<Message>?) -> Void) {
        let scratch = UnsafeMutablePointer<Message>.allocate(capacity: 1)
        defer { scratch.deallocate() }
        initialize(scratch)
        raw = UnsafeRawPointer(scratch).assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
    }

    init(raw: UnsafePointer<ProtobufCMessageDescriptor>) { self.raw = raw }

    var name: String { String(cString: raw.pointee.name) }
}
