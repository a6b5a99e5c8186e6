import Foundation
import PTBTasks
import PTBCore
import Testing

@Suite struct ArithGeneratorTests {
    /// The train-style generator the agent gets must never produce a test question, and its
    /// answers must be right.
    @Test func trainGeneratorIsDisjointFromTheTestSplit() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-arith-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("arith_generator.py")
        try ArithTask().contextFiles()["arith_generator.py"]!.write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("train.jsonl")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, "--n", "20000", "--seed", "1", "--out", out.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let test = Set(ArithTask.testSplit(seed: 2025).map { $0.messages[0].content })
        var n = 0
        for line in try String(contentsOf: out, encoding: .utf8).split(separator: "\n") {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            let q = try #require(obj["question"])
            #expect(!test.contains(q), "training item equals a test item: \(q)")
            let nums = q.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let expected = q.contains("minus") || q.contains("gives away") ? nums[0] - nums[1] : nums[0] + nums[1]
            #expect(obj["answer"] == String(expected))
            n += 1
        }
        #expect(n == 20000)
    }
}
