import PTBTasks
import Testing

/// The `{benchmark}` string of the agent prompt is the original's `benchmark.txt`, byte for byte
/// (reference §2: `src/eval/tasks/<task>/benchmark.txt`, stripped).
@Suite struct BenchmarkNameTests {
    static let original: [String: String] = [
        "aime2025": "American Invitational Mathematics Examination (AIME) 2025",
        "arenahardwriting": "Arena-Hard-v2.0 (Writing)",
        "bfcl": "Berkeley Function Calling Leaderboard (BFCL)",
        "gpqamain": "GPQA",
        "gsm8k": "GSM8K (Grade School Math 8K)",
        "healthbench": "HealthBench",
        "humaneval": "HumanEval",
    ]

    @Test(arguments: original.keys.sorted())
    func theOriginalsSevenTasksUseItsBenchmarkText(_ id: String) throws {
        #expect(try TaskRegistry.lookup(id).benchmarkName == Self.original[id])
    }
}
