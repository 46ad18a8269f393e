import AgionContract
import AgionJSON

/// What a user submits: the work a mission does, as a DAG of steps, with its
/// input, limits and the principal it acts for (docs/missions.md). Built only
/// through `MissionDefinition.parse` (or `init` plus `validate`), so a value
/// that exists is valid: acyclic, every reference resolvable, bounded.
public struct MissionDefinition: Hashable, Sendable {
    public var name: String
    /// The mission's input, any JSON; steps read it through `{"$ref": "input..."}`.
    public var input: JSONValue
    public var budget: Budget?
    public var deadline: Deadline?
    /// Who the mission acts for: governance checks each step as this principal.
    public var principal: String
    public var steps: [StepDefinition]

    public init(name: String = "", input: JSONValue = .object([:]), budget: Budget? = nil, deadline: Deadline? = nil,
                principal: String = "", steps: [StepDefinition]) {
        self.name = name
        self.input = input
        self.budget = budget
        self.deadline = deadline
        self.principal = principal
        self.steps = steps
    }

    /// A step by id.
    public func step(_ id: String) -> StepDefinition? { steps.first { $0.id == id } }
}

/// Limits on what a mission may spend; either may be absent.
public struct Budget: Hashable, Sendable {
    public var maxTokens: Int64?
    public var maxCostUSD: Double?

    public init(maxTokens: Int64? = nil, maxCostUSD: Double? = nil) {
        self.maxTokens = maxTokens
        self.maxCostUSD = maxCostUSD
    }

    /// Whether `usage` has spent it (reached or passed either limit).
    public func isSpent(by usage: Usage) -> Bool {
        if let maxTokens, usage.totalTokens >= maxTokens { return true }
        if let maxCostUSD, usage.costUSD >= maxCostUSD { return true }
        return false
    }
}

/// When a mission must be done: a moment, or a span from its submission.
public enum Deadline: Hashable, Sendable {
    case at(unixNanos: Int64)
    case after(seconds: Int64)

    /// The moment, for a mission submitted at `submittedAtNanos`.
    public func moment(submittedAtNanos: Int64) -> Int64 {
        switch self {
        case .at(let nanos): nanos
        case .after(let seconds): submittedAtNanos + seconds * 1_000_000_000
        }
    }
}

/// Tokens and money spent: a step's, reported by its agent, and a mission's, their sum.
public struct Usage: Hashable, Sendable {
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var costUSD: Double

    public init(inputTokens: Int64 = 0, outputTokens: Int64 = 0, costUSD: Double = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
    }

    public var totalTokens: Int64 { inputTokens &+ outputTokens }
    public static let zero = Usage()

    public static func + (a: Usage, b: Usage) -> Usage {
        Usage(inputTokens: a.inputTokens &+ b.inputTokens, outputTokens: a.outputTokens &+ b.outputTokens, costUSD: a.costUSD + b.costUSD)
    }
}

/// One step of the DAG.
public struct StepDefinition: Hashable, Sendable {
    /// Unique in the mission: `[a-z0-9][a-z0-9_-]*`, at most 63 characters.
    public var id: String
    public var target: Target
    /// The governance action the step performs (checked before each attempt).
    public var action: String
    /// JSON with `{"$ref": ...}` placeholders (`InputTemplate`), rendered when the step is scheduled.
    public var input: JSONValue
    public var dependsOn: [String]
    /// Each attempt's limit.
    public var timeoutSeconds: Int
    public var retry: RetryPolicy
    public var onFailure: OnFailure
    /// A person must approve each run before the agent is invoked (`approval:`).
    public var approval: ApprovalRequirement?

    public init(id: String, target: Target, action: String, input: JSONValue = .object([:]), dependsOn: [String] = [],
                timeoutSeconds: Int = StepDefinition.defaultTimeoutSeconds, retry: RetryPolicy = RetryPolicy(), onFailure: OnFailure = .fail,
                approval: ApprovalRequirement? = nil) {
        self.approval = approval
        self.id = id
        self.target = target
        self.action = action
        self.input = input
        self.dependsOn = dependsOn
        self.timeoutSeconds = timeoutSeconds
        self.retry = retry
        self.onFailure = onFailure
    }

    public static let defaultTimeoutSeconds = 300

    /// Who runs the step: any healthy agent with a capability (chosen by
    /// trust and load), or one agent by id.
    public enum Target: Hashable, Sendable {
        case capability(String)
        case agent(AgentID)
    }

    /// What a step that finally fails does to its mission.
    public enum OnFailure: String, Hashable, Sendable {
        /// The mission fails (and its running steps are cancelled).
        case fail
        /// The mission goes on; steps that read this step's output get null.
        case `continue`
    }
}

/// How often a step is tried, and how long between tries.
public struct RetryPolicy: Hashable, Sendable {
    /// Attempts in all, the first included (1: no retry).
    public var maxAttempts: Int
    public var initialBackoffMillis: Int
    public var maxBackoffMillis: Int

    public init(maxAttempts: Int = 3, initialBackoffMillis: Int = 1_000, maxBackoffMillis: Int = 60_000) {
        self.maxAttempts = maxAttempts
        self.initialBackoffMillis = initialBackoffMillis
        self.maxBackoffMillis = maxBackoffMillis
    }

    /// The wait before attempt `attempt + 1` (after `attempt` failed): the
    /// initial backoff doubled per failure, capped, with "equal jitter" (half
    /// fixed, half random) so retries of many steps do not arrive in step.
    /// `unit` is a random number in 0..<1, given so the choice is testable.
    public func delayMillis(after attempt: Int, unit: Double) -> Int {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(Double(initialBackoffMillis) * Double(1 << exponent), Double(maxBackoffMillis))
        return Int(ceiling / 2 + ceiling / 2 * min(max(unit, 0), 1))
    }
}
