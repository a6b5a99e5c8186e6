import PTBCore
import PTBExecution
import Testing

@Suite struct PassAtKTests {
    /// Hand-computed: pass@k = 1 − C(n−c, k) / C(n, k).
    @Test(arguments: [
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (5, 2, 1, 0.4),                   // 1 − C(3,1)/C(5,1) = 1 − 3/5
        (5, 2, 2, 0.7),                   // 1 − C(3,2)/C(5,2) = 1 − 3/10
        (5, 0, 3, 0.0),
        (5, 3, 3, 1.0),                   // n − c < k
        (10, 1, 5, 0.5),                  // 1 − C(9,5)/C(10,5) = 1 − 126/252
        (20, 3, 10, 17.0 / 19.0),         // 1 − C(17,10)/C(20,10) = 1 − 19448/184756 = 1 − 2/19
        (200, 50, 100, 1.0 - 0.0),        // effectively 1 at double precision
    ])
    func estimator(_ n: Int, _ c: Int, _ k: Int, _ expected: Double) {
        #expect(abs(PassAtK.estimate(samples: n, correct: c, k: k) - expected) < 1e-12)
    }

    @Test func meanOverProblemsNeedsKSamplesEverywhere() {
        let problems = [(samples: 5, correct: 2), (samples: 5, correct: 0), (samples: 5, correct: 5)]
        #expect(PassAtK.mean(problems, k: 1).map { abs($0 - (0.4 + 0 + 1) / 3) < 1e-12 } == true)
        #expect(PassAtK.mean(problems, k: 2).map { abs($0 - (0.7 + 0 + 1) / 3) < 1e-12 } == true)
        #expect(PassAtK.mean(problems, k: 10) == nil)
        #expect(PassAtK.mean([], k: 1) == nil)
        #expect(PassAtK.estimate(samples: 2, correct: 3, k: 1).isNaN)
    }
}
