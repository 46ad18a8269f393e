import Foundation

/// Trust as decaying evidence (docs/trust.md).
///
/// An agent's trust in a scope (overall, or one capability) is two weights of
/// evidence, positive and negative. The score is their Beta-posterior mean
/// with a neutral prior: `(positive + prior/2) / (positive + negative + prior)`,
/// 0.5 with no evidence. Evidence halves every `halfLife`, so without new
/// evidence a score drifts back to neutral, and recent behaviour counts more
/// than old. Each outcome adds a fixed weight; feedback from one source counts
/// less the more that source has said about the agent recently, so a flood of
/// ratings cannot pump (or sink) a score.
public struct TrustModel: Sendable, Hashable {
    /// Time for evidence to lose half its weight.
    public var halfLife: Duration = .seconds(7 * 24 * 3600)
    /// Weight of the neutral prior: how much evidence it takes to move far from 0.5.
    public var priorWeight = 2.0
    public var weights = Weights()
    /// Feedback from one source about one agent within this window is damped.
    public var feedbackWindow: Duration = .seconds(24 * 3600)
    /// Ratings from one source in one window beyond this count carry no weight.
    public var maxFeedbackPerSourcePerWindow = 10

    public struct Weights: Sendable, Hashable {
        public var success = 1.0
        public var failure = 1.0
        /// A timeout is worse than a clean failure: it also held the caller.
        public var timeout = 1.5
        public var validationPassed = 0.5
        /// Output that broke the tenant's rules (a leaked secret) weighs most.
        public var validationFailed = 2.0
        /// Per report with a latency target: this much for meeting it, up to
        /// 3× this much (in proportion to the overrun) for missing it.
        public var latency = 0.25
        /// A 5-star rating from a fresh source is this much positive evidence.
        public var feedback = 1.0
        public init() {}
    }

    public init() {}

    /// Positive and negative weight an observation adds.
    public struct Evidence: Sendable, Hashable {
        public var positive: Double
        public var negative: Double
        public init(positive: Double = 0, negative: Double = 0) {
            self.positive = positive
            self.negative = negative
        }
        public static func + (a: Evidence, b: Evidence) -> Evidence { Evidence(positive: a.positive + b.positive, negative: a.negative + b.negative) }
    }

    /// What an execution report says happened.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        case success, failure, timeout
    }

    public func evidence(outcome: Outcome, latencyMillis: Double? = nil, targetMillis: Double? = nil) -> Evidence {
        var evidence = switch outcome {
        case .success: Evidence(positive: weights.success)
        case .failure: Evidence(negative: weights.failure)
        case .timeout: Evidence(negative: weights.timeout)
        }
        if outcome == .success, let latency = latencyMillis, let target = targetMillis, target > 0 {
            if latency <= target {
                evidence.positive += weights.latency
            } else {
                evidence.negative += weights.latency * min(latency / target - 1, 3)
            }
        }
        return evidence
    }

    public func evidence(validationPassed: Bool) -> Evidence {
        validationPassed ? Evidence(positive: weights.validationPassed) : Evidence(negative: weights.validationFailed)
    }

    /// Evidence of a rating from 1 to 5 by a source that has already given
    /// `earlierFromSource` ratings about this agent in the current window:
    /// the k-th rating weighs 1/k, so one source's total grows only like log(n),
    /// and stops at `maxFeedbackPerSourcePerWindow`.
    public func evidence(rating: Int, earlierFromSource: Int) -> Evidence {
        guard earlierFromSource < maxFeedbackPerSourcePerWindow else { return Evidence() }
        let clamped = Double(min(max(rating, 1), 5))
        let weight = weights.feedback / Double(1 + max(earlierFromSource, 0))
        return Evidence(positive: weight * (clamped - 1) / 4, negative: weight * (5 - clamped) / 4)
    }

    /// `state` as it stands at `now`, its evidence decayed.
    public func decayed(_ state: TrustState, to now: Int64) -> TrustState {
        let elapsed = Double(max(now - state.updatedAtNanos, 0)) / 1e9
        let halfLifeSeconds = Double(halfLife.components.seconds) + Double(halfLife.components.attoseconds) / 1e18
        let factor = halfLifeSeconds > 0 ? pow(0.5, elapsed / halfLifeSeconds) : 1
        return TrustState(positive: state.positive * factor, negative: state.negative * factor, updatedAtNanos: max(now, state.updatedAtNanos))
    }

    /// Adds `evidence` at `now`.
    public func applying(_ evidence: Evidence, to state: TrustState, at now: Int64) -> TrustState {
        var next = decayed(state, to: now)
        next.positive += max(evidence.positive, 0)
        next.negative += max(evidence.negative, 0)
        return next
    }

    /// The score in [0, 1] at `now`.
    public func score(_ state: TrustState, at now: Int64) -> Double {
        let current = decayed(state, to: now)
        return (current.positive + priorWeight / 2) / (current.positive + current.negative + priorWeight)
    }
}

/// The evidence behind one trust score, as stored.
public struct TrustState: Sendable, Hashable, Codable {
    public var positive: Double
    public var negative: Double
    public var updatedAtNanos: Int64

    public init(positive: Double = 0, negative: Double = 0, updatedAtNanos: Int64) {
        self.positive = positive
        self.negative = negative
        self.updatedAtNanos = updatedAtNanos
    }

    /// No evidence: the neutral score.
    public static func neutral(at now: Int64) -> TrustState { TrustState(updatedAtNanos: now) }

    /// The combined weight of evidence (after the last decay).
    public var evidence: Double { positive + negative }
}
