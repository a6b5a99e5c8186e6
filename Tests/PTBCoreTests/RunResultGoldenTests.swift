import Foundation
import PTBCore
import PTBTestSupport
import Testing

/// `result.json` is read back by the results reader, the web UI and `ptb status` long after the
/// run: its shape, and the score-state strings older runs hold, must not drift.
struct RunResultGoldenTests {
    func result(_ state: ScoreState, final: ScoreSummary?) -> RunResult {
        let spec = RunSpec(task: "arith", model: "tiny", agent: "reference", hours: 0.05, name: "golden")
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        var r = RunResult(id: "20260901-000000-arith-reference-abcd", spec: spec, outcome: .done, failure: nil, exit: .normal,
                          finalScore: final, baseScore: ScoreSummary(accuracy: 0.01, stderr: 0.007, n: 200), scoreState: state,
                          integrityFlagged: false, agentSeconds: 90.5, phaseSeconds: ["agent": 90.5, "evaluate": 12.25],
                          createdAt: t0, finishedAt: t0.addingTimeInterval(120), versions: ["ptb": "test"])
        r.agentUsage = AgentUsage(inputTokens: 1200, cachedTokens: 300, outputTokens: 450, reasoningTokens: 0, costUSD: 0.0123, costSource: "estimated")
        return r
    }

    @Test func resultJSONMatchesItsGoldenFile() throws {
        let r = result(.scored, final: ScoreSummary(accuracy: 0.42, stderr: 0.035, n: 200))
        let text = String(decoding: try JSONIO.encode(r), as: UTF8.self)
        try expectGolden(text, "result.json")
        // The golden file reads back to the same value: what is written is what is read.
        let back = try JSONIO.decoder().decode(RunResult.self, from: Data(text.utf8))
        #expect(back == r)
    }

    /// The typed state is stored as the strings untyped result.json files hold: every one of
    /// them reads, and writes back unchanged.
    @Test(arguments: ScoreState.allCases) func everyScoreStateRoundTripsThroughItsStoredString(_ state: ScoreState) throws {
        let golden = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/result.json"), encoding: .utf8)
        let stored = golden.replacingOccurrences(of: "\"scoreState\" : \"scored\"", with: "\"scoreState\" : \"\(state.rawValue)\"")
        #expect(stored.contains("\"scoreState\" : \"\(state.rawValue)\""))
        let r = try JSONIO.decoder().decode(RunResult.self, from: Data(stored.utf8))
        #expect(r.scoreState == state)
        #expect(String(decoding: try JSONIO.encode(r), as: UTF8.self) == stored)
    }

    @Test func storedStringsAreTheOnesEarlierRunsWrote() {
        #expect(ScoreState.allCases.map(\.rawValue) == ["scored", "no-final-model", "invalid-submission", "invalid-final-model",
                                                         "evaluation-failed", "not-evaluated"])
    }

    /// A state no ptb version wrote is an error that names the file's problem, not a silent default.
    @Test func anUnknownStateIsRefused() throws {
        let r = result(.scored, final: nil)
        let text = String(decoding: try JSONIO.encode(r), as: UTF8.self)
            .replacingOccurrences(of: "\"scoreState\" : \"scored\"", with: "\"scoreState\" : \"eval-failed\"")
        #expect(throws: DecodingError.self) { try JSONIO.decoder().decode(RunResult.self, from: Data(text.utf8)) }
    }
}
