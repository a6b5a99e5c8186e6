import Foundation
import PTBTasks
import Testing

@Suite struct ArenaScoringTests {
    /// Game 1 has the baseline as A, so its values are flipped; strong verdicts weigh 3.
    @Test func weightsAndSwapsByHand() {
        // Baseline much better in game 1 (→ 0,0,0); candidate slightly better as A in game 2 (→ 1).
        #expect(ArenaHardWritingTask.candidateValues(game1: "A>>B", game2: "A>B") == [0, 0, 0, 1])
        // Candidate (B) much better in game 1 (→ 1,1,1); tie in game 2 (→ 0.5).
        #expect(ArenaHardWritingTask.candidateValues(game1: "B>>A", game2: "A=B") == [1, 1, 1, 0.5])
        #expect(ArenaHardWritingTask.candidateValues(game1: "A<B", game2: "B<<A") == [1, 1, 1, 1])
    }

    /// Three questions, one dropped (no verdict in game 2): values [0,0,0,1] + [1,1,1,0.5] →
    /// mean 4.5/8 = 0.5625; sample variance Σ(x−m)²/7 = 1.71875/7 → stderr √(1.71875/7/8).
    @Test func scoreAndStderrAsTheOriginal() {
        let q1 = ArenaHardWritingTask.candidateValues(game1: "A>>B", game2: "A>B")!
        let q2 = ArenaHardWritingTask.candidateValues(game1: "B>>A", game2: "A=B")!
        let dropped = ArenaHardWritingTask.candidateValues(game1: "A=B", game2: nil)
        #expect(dropped == nil)
        let (acc, se, values) = ArenaHardWritingTask.aggregate([q1, q2])
        #expect(values.count == 8)
        #expect(acc == 0.5625)
        let ss = 3 * 0.5625 * 0.5625 + 4 * 0.4375 * 0.4375 + 0.0625 * 0.0625
        #expect(abs(ss - 1.71875) < 1e-12)
        #expect(abs(se - (ss / 7 / 8).squareRoot()) < 1e-12)
    }

    @Test func noBattlesScoresZeroAndOneValueHasNoStderr() {
        #expect(ArenaHardWritingTask.aggregate([]).accuracy == 0)
        #expect(ArenaHardWritingTask.aggregate([]).stderr == 0)
        #expect(ArenaHardWritingTask.aggregate([[0.5]]).stderr == 0)
    }

    @Test func bootstrapIntervalIsFixedBySeedAndBracketsTheMean() {
        let values: [Double] = [0, 0, 0, 1, 1, 1, 1, 0.5]
        let a = JudgedStats.bootstrapInterval(values, rounds: 100, seed: 42)
        let b = JudgedStats.bootstrapInterval(values, rounds: 100, seed: 42)
        #expect(a.low == b.low && a.high == b.high)
        #expect(a.low < 0.5625 && 0.5625 < a.high)
        let flat = JudgedStats.bootstrapInterval([0.7, 0.7], rounds: 100, seed: 1)
        #expect(flat.low == 0.7 && flat.high == 0.7)
    }
}

@Suite struct HealthBenchScoringTests {
    typealias Item = HealthBenchTask.RubricItem

    /// Σ met points / Σ positive points; a met negative criterion subtracts; no clipping per example.
    @Test func exampleScoreByHand() {
        let a = Item(criterion: "a", points: 5, tags: ["axis:accuracy"])
        let b = Item(criterion: "b", points: 3, tags: ["axis:completeness"])
        let bad = Item(criterion: "bad", points: -4, tags: ["axis:accuracy"])
        #expect(HealthBenchTask.exampleScore([(a, true), (b, false), (bad, false)]) == 5.0 / 8)
        #expect(HealthBenchTask.exampleScore([(a, false), (b, true), (bad, true)]) == -1.0 / 8)
        #expect(HealthBenchTask.exampleScore([(bad, true)]) == 0)
    }

    /// Overall and by_theme are clipped means; by_axis is Σ met / Σ positive per axis, clipped.
    @Test func aggregateClipsAndBreaksDown() {
        let a = Item(criterion: "a", points: 5, tags: ["axis:accuracy"])
        let b = Item(criterion: "b", points: 3, tags: ["axis:completeness"])
        let bad = Item(criterion: "bad", points: -4, tags: ["axis:accuracy"])
        let e1 = (tags: ["theme:hedging"], graded: [(item: a, met: false), (item: b, met: true), (item: bad, met: true)])  // −1/8
        let e2 = (tags: ["theme:hedging"], graded: [(item: a, met: false), (item: b, met: false), (item: bad, met: true)])  // −4/8
        let e3 = (tags: ["theme:communication"], graded: [(item: a, met: true), (item: b, met: true)])  // 1
        let r = HealthBenchTask.aggregate([e1, e2])
        #expect(r.accuracy == 0)  // mean −0.3125 clipped
        #expect(r.byTheme == ["hedging": 0])
        #expect(r.byAxis == ["accuracy": 0, "completeness": 0.5])  // b met once: 3 of 6
        let r2 = HealthBenchTask.aggregate([e1, e2, e3])
        #expect(abs(r2.accuracy - (1 - 0.125 - 0.5) / 3) < 1e-12)
        #expect(r2.byTheme["communication"] == 1)
        // accuracy: met 5 − 4 − 4 = −3 over positive 15 → clipped 0; completeness: 6 of 9.
        #expect(r2.byAxis["accuracy"] == 0)
        #expect(abs(r2.byAxis["completeness"]! - 6.0 / 9) < 1e-12)
    }

    /// Pinned against numpy: `default_rng(42)`, `choice(xs, len(xs))` 1000 times, each mean
    /// clipped to [0,1], `np.std` of the means.
    @Test func bootstrapStderrMatchesNumpy() {
        #expect(abs(JudgedStats.clippedBootstrapStd([1.0, 0.5, -0.2, 0.8, 0.3]) - 0.18662816936357704) < 1e-12)
        #expect(abs(JudgedStats.clippedBootstrapStd([0.25, 1.2, 0.9]) - 0.202332393600234) < 1e-12)
        #expect(JudgedStats.clippedBootstrapStd([]) == 0)
    }
}
