import Foundation
import PTBCore
import PTBJobs
import Testing

@Suite struct EvalFeedbackSweepTests {
    /// `eval_feedback` in a sweep reaches every run's spec and survives the manifest's round trip.
    @Test func evalFeedbackReachesEveryRun() throws {
        let sweep = try SweepSpec.parse("experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\neval_feedback: original\n")
        #expect(sweep.options.evalFeedback == .original)
        let back = try JSONDecoder().decode(SweepSpec.self, from: JSONEncoder().encode(sweep))
        #expect(back == sweep)
        let m = try SweepManifest(spec: sweep, createdAt: Date())
        #expect(m.runSpec(for: m.runs[0]).evalFeedback == .original)
        let plain = try SweepSpec.parse("experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\n")
        #expect(plain.options.evalFeedback == nil)
        #expect(throws: (any Error).self) {
            try SweepSpec.parse("experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\neval_feedback: leaky\n")
        }
    }
}
