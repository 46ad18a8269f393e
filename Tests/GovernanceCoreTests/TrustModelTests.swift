@testable import GovernanceCore
import Testing

@Suite struct TrustModelTests {
    let model = TrustModel()
    let start: Int64 = 1_795_000_000_000_000_000
    let day: Int64 = 86_400_000_000_000

    @Test func noEvidenceIsNeutral() {
        #expect(model.score(.neutral(at: start), at: start) == 0.5)
    }

    @Test func scoresMoveWithEvidenceAndStayInTheUnitInterval() {
        var state = TrustState.neutral(at: start)
        var previous = 0.5
        for i in 0..<50 {
            state = model.applying(model.evidence(outcome: .success), to: state, at: start + Int64(i))
            let score = model.score(state, at: start + Int64(i))
            #expect(score > previous && score < 1)
            previous = score
        }
        #expect(previous > 0.95)
        for i in 50..<150 {
            state = model.applying(model.evidence(outcome: .failure), to: state, at: start + Int64(i))
        }
        let after = model.score(state, at: start + 150)
        #expect(after < 0.35 && after > 0)
    }

    @Test func timeoutsAndFailedValidationsWeighMoreThanFailures() {
        let base = TrustState(positive: 5, negative: 5, updatedAtNanos: start)
        let failure = model.score(model.applying(model.evidence(outcome: .failure), to: base, at: start), at: start)
        let timeout = model.score(model.applying(model.evidence(outcome: .timeout), to: base, at: start), at: start)
        let invalid = model.score(model.applying(model.evidence(validationPassed: false), to: base, at: start), at: start)
        #expect(timeout < failure)
        #expect(invalid < timeout)
    }

    @Test func latencyAgainstTheTargetCounts() {
        let fast = model.evidence(outcome: .success, latencyMillis: 80, targetMillis: 100)
        let slow = model.evidence(outcome: .success, latencyMillis: 250, targetMillis: 100)
        let verySlow = model.evidence(outcome: .success, latencyMillis: 10_000, targetMillis: 100)
        #expect(fast.positive == 1.25 && fast.negative == 0)
        #expect(slow.negative == 0.25 * 1.5)
        #expect(verySlow.negative == 0.75)
    }

    @Test func withoutEvidenceAScoreDecaysTowardsNeutral() {
        let trusted = TrustState(positive: 40, negative: 2, updatedAtNanos: start)
        let now = model.score(trusted, at: start)
        let weekLater = model.score(trusted, at: start + 7 * day)
        let yearLater = model.score(trusted, at: start + 365 * day)
        #expect(now > weekLater && weekLater > yearLater)
        #expect(abs(yearLater - 0.5) < 0.01)
        // One half-life halves the evidence.
        #expect(abs(model.decayed(trusted, to: start + 7 * day).positive - 20) < 1e-9)
        let distrusted = TrustState(positive: 1, negative: 30, updatedAtNanos: start)
        #expect(model.score(distrusted, at: start + 365 * day) > model.score(distrusted, at: start))
    }

    @Test func aFloodOfRatingsFromOneSourceCannotPumpAScore() {
        var flooded = TrustState.neutral(at: start)
        for i in 0..<1_000 {
            flooded = model.applying(model.evidence(rating: 5, earlierFromSource: i), to: flooded, at: start)
        }
        var crowd = TrustState.neutral(at: start)
        for _ in 0..<10 {
            crowd = model.applying(model.evidence(rating: 5, earlierFromSource: 0), to: crowd, at: start)
        }
        // 1,000 ratings from one source weigh less than 3 fresh ones (H(10) ≈ 2.93).
        #expect(flooded.positive < 3)
        #expect(model.score(flooded, at: start) < model.score(crowd, at: start))
        #expect(model.evidence(rating: 5, earlierFromSource: 10) == TrustModel.Evidence())
    }

    @Test func ratingsMapToEvidence() {
        #expect(model.evidence(rating: 5, earlierFromSource: 0) == TrustModel.Evidence(positive: 1, negative: 0))
        #expect(model.evidence(rating: 1, earlierFromSource: 0) == TrustModel.Evidence(positive: 0, negative: 1))
        #expect(model.evidence(rating: 3, earlierFromSource: 1) == TrustModel.Evidence(positive: 0.25, negative: 0.25))
        #expect(model.evidence(rating: 99, earlierFromSource: 0) == model.evidence(rating: 5, earlierFromSource: 0))
    }
}
