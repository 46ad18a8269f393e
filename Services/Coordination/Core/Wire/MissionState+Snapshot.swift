import AgionContract
import AgionJSON

/// The projection as stored beside the mission's stream (one row, read and
/// written whole), so neither a read nor a decision replays the history.
/// JSON with a version, read back exactly (`MissionState(snapshot:)`).
extension MissionState {
    public static let snapshotVersion: Int64 = 1

    public var snapshot: JSONValue {
        var fields: [String: JSONValue] = [
            "v": .integer(Self.snapshotVersion), "id": .string(id), "definition": MissionDefinition.jsonView(of: definition.proto),
            "idempotency_key": .string(idempotencyKey), "status": .string(status.rawValue), "submitted_at": .integer(submittedAtUnixNanos),
            "updated_at": .integer(updatedAtUnixNanos), "usage": usage.json, "position": .integer(position), "cancel_requested": .bool(cancelRequested),
            "steps": .object(steps.mapValues(\.snapshot)),
        ]
        if !submittedBy.isEmpty { fields["submitted_by"] = .string(submittedBy) }
        if let deadlineUnixNanos { fields["deadline"] = .integer(deadlineUnixNanos) }
        if let outcome {
            fields["outcome"] = .object(["code": .string(outcome.code), "reason": .string(outcome.reason), "step": outcome.step.map { .string($0) } ?? .null])
        }
        if let output { fields["output"] = output }
        return .object(fields)
    }

    /// The state a `snapshot` was made of; nil for one this reader cannot read.
    public init?(snapshot json: JSONValue) {
        guard case .object(let f) = json, f["v"]?.int == Self.snapshotVersion, let id = f["id"]?.stringValue, let definition = f["definition"],
              let parsed = try? MissionDefinition.parse(definition, nowUnixNanos: Int64.min),
              let status = f["status"]?.stringValue.flatMap(Status.init(rawValue:)), case .object(let steps)? = f["steps"] else { return nil }
        self.init(id: id, submitted: .init(definition: parsed, idempotencyKey: f["idempotency_key"]?.stringValue ?? "",
                                           submittedAtUnixNanos: f["submitted_at"]?.int ?? 0, deadlineUnixNanos: f["deadline"]?.int,
                                           submittedBy: f["submitted_by"]?.stringValue ?? ""))
        self.status = status
        updatedAtUnixNanos = f["updated_at"]?.int ?? 0
        usage = Usage(json: f["usage"])
        position = f["position"]?.int ?? 0
        cancelRequested = f["cancel_requested"] == .bool(true)
        if case .object(let outcome)? = f["outcome"] {
            self.outcome = Outcome(code: outcome["code"]?.stringValue ?? "", reason: outcome["reason"]?.stringValue ?? "", step: outcome["step"]?.stringValue)
        }
        output = f["output"]
        for (step, value) in steps {
            guard self.steps[step] != nil, let state = StepState(snapshot: value) else { return nil }
            self.steps[step] = state
        }
    }
}

extension StepState {
    var snapshot: JSONValue {
        var fields: [String: JSONValue] = [
            "status": .string(status.rawValue), "attempt": .integer(Int64(attempt)), "tried": .array(tried.map { .string($0.description) }),
            "usage": usage.json, "reported": .integer(Int64(lastReportedAttempt)), "platform_failures": .integer(Int64(platformFailures)),
            "replay_base": .integer(Int64(attemptsBeforeReplay)),
            "errors": .array(errors.map { error in
                .object(["attempt": .integer(Int64(error.attempt)), "agent": error.agent.map { .string($0.description) } ?? .null,
                         "code": .string(error.error.code), "message": .string(error.error.message), "retriable": .bool(error.error.retriable),
                         "platform": .bool(error.error.platform)])
            }),
            "approval_reasons": .array(approvalReasons.map { .string($0) }),
        ]
        if let agent { fields["agent"] = .string(agent.description) }
        if let output { fields["output"] = output }
        if let retryAtUnixNanos { fields["retry_at"] = .integer(retryAtUnixNanos) }
        if let scheduledAtUnixNanos { fields["scheduled_at"] = .integer(scheduledAtUnixNanos) }
        if let finishedAtUnixNanos { fields["finished_at"] = .integer(finishedAtUnixNanos) }
        if approvalWaits != 0 { fields["approval_waits"] = .integer(Int64(approvalWaits)) }
        if let approval { fields["approval"] = approval.snapshot }
        return .object(fields)
    }

    init?(snapshot json: JSONValue) {
        guard case .object(let f) = json, let status = f["status"]?.stringValue.flatMap(Status.init(rawValue:)) else { return nil }
        self.init()
        self.status = status
        attempt = Int(f["attempt"]?.int ?? 0)
        agent = f["agent"]?.stringValue.flatMap { try? AgentID($0) }
        if case .array(let tried)? = f["tried"] { self.tried = tried.compactMap { $0.stringValue.flatMap { try? AgentID($0) } } }
        output = f["output"]
        usage = Usage(json: f["usage"])
        lastReportedAttempt = Int(f["reported"]?.int ?? 0)
        platformFailures = Int(f["platform_failures"]?.int ?? 0)
        attemptsBeforeReplay = Int(f["replay_base"]?.int ?? 0)
        if case .array(let errors)? = f["errors"] {
            self.errors = errors.compactMap { error in
                guard case .object(let e) = error else { return nil }
                return AttemptError(attempt: Int(e["attempt"]?.int ?? 0), agent: e["agent"]?.stringValue.flatMap { try? AgentID($0) },
                                    error: StepError(code: e["code"]?.stringValue ?? "", message: e["message"]?.stringValue ?? "",
                                                     retriable: e["retriable"] == .bool(true), platform: e["platform"] == .bool(true)))
            }
        }
        if case .array(let reasons)? = f["approval_reasons"] { approvalReasons = reasons.compactMap(\.stringValue) }
        retryAtUnixNanos = f["retry_at"]?.int
        scheduledAtUnixNanos = f["scheduled_at"]?.int
        finishedAtUnixNanos = f["finished_at"]?.int
        approvalWaits = Int(f["approval_waits"]?.int ?? 0)
        approval = f["approval"].flatMap(Approval.init(snapshot:))
    }
}

extension Approval {
    /// The request in the projection's JSON: its proto's fields, by name.
    var snapshot: JSONValue {
        .object([
            "id": .string(id), "step": .string(step), "attempt": .integer(Int64(attempt)), "agent": .string(agent.description),
            "action": .string(action), "input": input, "digest": .string(digest), "status": .string(status.rawValue),
            "groups": .array(groups.map { .string($0) }), "escalate_to": .array(escalateTo.map { .string($0) }),
            "timeout_seconds": .integer(Int64(timeoutSeconds)), "escalated": .bool(escalated), "source": .string(source.rawValue),
            "reasons": .array(reasons.map { .string($0) }), "requested_by": .string(requestedBy), "requested_at": .integer(requestedAtUnixNanos),
            "expires_at": .integer(expiresAtUnixNanos), "decided_by": .string(decidedBy), "decided_at": .integer(decidedAtUnixNanos),
            "comment": .string(comment),
        ])
    }

    init?(snapshot json: JSONValue) {
        guard case .object(let f) = json, let id = f["id"]?.stringValue, let step = f["step"]?.stringValue,
              let agent = f["agent"]?.stringValue.flatMap({ try? AgentID($0) }), let status = f["status"]?.stringValue.flatMap(Status.init(rawValue:)),
              let source = f["source"]?.stringValue.flatMap(Source.init(rawValue:)) else { return nil }
        func strings(_ key: String) -> [String] { if case .array(let items)? = f[key] { items.compactMap(\.stringValue) } else { [] } }
        self.init(id: id, step: step, attempt: Int(f["attempt"]?.int ?? 0), agent: agent, action: f["action"]?.stringValue ?? "",
                  input: f["input"] ?? .null, requirement: ApprovalRequirement(timeoutSeconds: Int(f["timeout_seconds"]?.int ?? 0)), source: source,
                  reasons: strings("reasons"), requestedBy: f["requested_by"]?.stringValue ?? "", now: f["requested_at"]?.int ?? 0)
        digest = f["digest"]?.stringValue ?? ""
        self.status = status
        groups = strings("groups")
        escalateTo = strings("escalate_to")
        escalated = f["escalated"] == .bool(true)
        expiresAtUnixNanos = f["expires_at"]?.int ?? 0
        decidedBy = f["decided_by"]?.stringValue ?? ""
        decidedAtUnixNanos = f["decided_at"]?.int ?? 0
        comment = f["comment"]?.stringValue ?? ""
    }
}

extension Usage {
    var json: JSONValue {
        .object(["input_tokens": .integer(inputTokens), "output_tokens": .integer(outputTokens), "cost_usd": .number(costUSD)])
    }

    init(json: JSONValue?) {
        guard case .object(let f)? = json else { self = .zero; return }
        self.init(inputTokens: f["input_tokens"]?.int ?? 0, outputTokens: f["output_tokens"]?.int ?? 0, costUSD: f["cost_usd"]?.double ?? 0)
    }
}

extension JSONValue {
    /// An integer, or a whole number.
    var int: Int64? {
        switch self {
        case .integer(let v): v
        case .number(let v) where v.rounded() == v && abs(v) < 9e18: Int64(v)
        default: nil
        }
    }

    var double: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .number(let v): v
        default: nil
        }
    }
}
