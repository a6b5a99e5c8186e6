import Foundation
import PTBCore
import PTBResults
#if canImport(Glibc)
import Glibc
#endif

/// A results directory for the web UI's browser tests and benchmark: ptb runs (clean, flagged,
/// failed, running), a sweep directory, an import, evaluation samples, monitor samples, and one
/// run with a trace of `traceMB` megabytes (both `trace.jsonl` and `events.jsonl`).
public enum WebFixture {
    public static let model = "Qwen/Qwen3-1.7B-Base"
    public static let bigRun = "alpha_humaneval_long"
    public static let flaggedRun = "beta_gsm8k_flagged"
    public static let xssRun = "xss_gsm8k_payload"
    public static let xssName = "<script>alert('ptb-xss')</script>"
    public static let sweep = "ablation"
    public static let needle = "NEEDLE-7f3a9c"
    public static let sampleNeedle = "SAMPLE-NEEDLE-42"
    public static let samples = 40, correctSamples = 25
    public static let monitorSamples = 600

    public struct Layout: Sendable {
        public var runsDir: URL
        public var home: URL
        /// 0-based line of the needle in the big run's events.jsonl.
        public var needleLine: Int
        public var traceLines: Int
    }

    public static func write(to root: URL, traceMB: Int = 50, now: Date = Date(timeIntervalSince1970: 1_790_000_000)) throws -> Layout {
        let fm = FileManager.default
        let runs = root.appendingPathComponent("runs"), home = root.appendingPathComponent("home")
        try fm.createDirectory(at: runs, withIntermediateDirectories: true)
        try fm.createDirectory(at: home, withIntermediateDirectories: true)
        func spec(_ name: String, _ task: String, hours: Double = 1, gpus: Int = 1) -> RunSpec {
            RunSpec(task: task, model: model, agent: "claude", hours: hours, gpus: gpus, name: name)
        }
        try run(runs, id: "alpha_gsm8k_1", spec: spec("alpha", "gsm8k"), created: now, final: 0.62, base: 0.20, agentSeconds: 3000)
        let big = try run(runs, id: bigRun, spec: spec("alpha", "humaneval", hours: 10, gpus: 2), created: now.addingTimeInterval(60),
                          final: 0.40, base: 0.30, agentSeconds: 35_000)
        try run(runs, id: flaggedRun, spec: spec("beta", "gsm8k"), created: now.addingTimeInterval(120), final: 0.90, base: 0.20,
                agentSeconds: 1800, evidence: ["changed: workspace/task/evaluate.py (sha256 1f2e… → 9a8b…)"])
        try run(runs, id: xssRun, spec: spec(xssName, "gsm8k"), created: now.addingTimeInterval(180), final: 0.10, base: 0.20, agentSeconds: 600)
        // A sweep directory as `ptb sweep` lays it out: runs named after the experiment.
        let exp = runs.appendingPathComponent(sweep)
        try fm.createDirectory(at: exp.appendingPathComponent("runs"), withIntermediateDirectories: true)
        try Data("{\"experiment\": \"\(sweep)\"}\n".utf8).write(to: exp.appendingPathComponent("sweep.json"))
        let sr = exp.appendingPathComponent("runs")
        try run(sr, id: "ablation_1h", spec: spec(sweep, "gsm8k", hours: 1), created: now.addingTimeInterval(200), final: 0.30, base: 0.20, agentSeconds: 3500)
        try run(sr, id: "ablation_2h", spec: spec(sweep, "gsm8k", hours: 2), created: now.addingTimeInterval(210), final: nil, base: 0.20,
                agentSeconds: 7000, state: .failed)
        try run(sr, id: "ablation_4h", spec: spec(sweep, "gsm8k", hours: 4), created: now.addingTimeInterval(220), final: nil, base: nil,
                agentSeconds: nil, state: .running)
        try samplesFile(big.finalEval)
        // Three evaluate.py requests through the broker: two of the test split, one of the dev split.
        let brokerLog = [#"{"ts":"2026-12-07T10:00:00Z","request":1,"split":"test","model_path":"/w/task/final_model","model_hash":"ab12","limit":20,"accuracy":0.25,"stderr":0.1,"n":20,"seconds":61.5,"eval_log":null,"error":null}"#,
                         #"{"ts":"2026-12-07T11:00:00Z","request":2,"split":"dev","model_path":"/w/task/ckpt-2","model_hash":"cd34","limit":50,"accuracy":0.5,"stderr":0.07,"n":50,"seconds":70.0,"eval_log":"task/eval_logs/x-dev","error":null}"#,
                         #"{"ts":"2026-12-07T12:00:00Z","request":3,"model_path":"/w/task/ckpt-3","model_hash":null,"limit":null,"accuracy":null,"stderr":null,"n":null,"seconds":3.0,"error":"the engine exited during startup"}"#]
        try Data((brokerLog.joined(separator: "\n") + "\n").utf8).write(to: big.dir.appendingPathComponent("broker.jsonl"))
        try monitorFile(big.monitor, start: now)
        let (needleLine, lines) = try traceFiles(big, start: now, bytes: traceMB << 20)
        // An import of the original's results: one more method on the board.
        let imported = ResultRun(origin: .posttrainbench, method: "orig-method", task: "gsm8k", model: ModelKey.of(model), runID: 1,
                                 name: "gsm8k_Qwen_Qwen3-1.7B-Base_1", path: "/original/orig-method/gsm8k_Qwen_Qwen3-1.7B-Base_1",
                                 score: .scored(0.55), flags: RunFlags(contamination: .clean, disallowedModel: .clean),
                                 timeSeconds: 7200, budgetSeconds: 36_000, hasFinalModel: true)
        try ImportStore(home: PTBHome(root: home)).save(ImportSnapshot(source: "/original", importedAt: now, runs: [imported], skipped: []), label: "original")
        return Layout(runsDir: runs, home: home, needleLine: needleLine, traceLines: lines)
    }

    @discardableResult
    static func run(_ dir: URL, id: String, spec: RunSpec, created: Date, final: Double?, base: Double?, agentSeconds: Double?,
                    evidence: [String] = [], state: RunOutcome = .done) throws -> RunPaths {
        let p = RunPaths(dir: dir.appendingPathComponent(id))
        try FileManager.default.createDirectory(at: p.dir, withIntermediateDirectories: true)
        var m = RunManifest(id: id, spec: spec, createdAt: created, ptbVersion: PTBVersion.current)
        var t = created
        let durations: [Phase: Double] = [.prepare: 20, .agent: agentSeconds ?? 0, .collect: 5, .integrity: 3, .evaluate: 400, .baseline: 0, .record: 1]
        for ph in Phase.allCases {
            if state == .running && ph > .agent { break }
            if state == .failed && ph > .evaluate { break }
            let end = t.addingTimeInterval(durations[ph]!)
            let failedHere = state == .failed && ph == .evaluate, runningHere = state == .running && ph == .agent
            m[ph] = PhaseRecord(state: failedHere ? .failed : runningHere ? .running : .done, attempts: 1, startedAt: t,
                                endedAt: runningHere ? nil : end, detail: failedHere ? "vLLM exited with status 1" : "\(ph.rawValue) ok")
            t = end
        }
        m.outcome = state
        m.exit = state == .running ? nil : .normal
        if state == .failed { m.failure = "evaluate: vLLM exited with status 1" }
        try JSONIO.write(m, to: p.manifest)
        if state == .running {
            // A live driver on another node (fresh heartbeat), so the run shows as running.
            try JSONIO.write(RunDriver(host: "fixture-node", pid: 1, processStart: nil, heartbeatAt: Date()),
                             to: p.dir.appendingPathComponent(RunDriver.fileName))
        }
        let flagged = !evidence.isEmpty
        if state != .running {
            // integrity.json as the integrity phase writes it (schema 2: policy, required checks, reasons).
            let checks: [[String: Any]] = [
                ["name": "evaluator-tamper", "required": true, "ran": true, "verdict": flagged ? "flagged" : "clean", "evidence": evidence],
                ["name": "contamination-judge", "required": false, "ran": false, "verdict": "not run", "evidence": ["no judge configured"]],
            ]
            let report: [String: Any] = ["schemaVersion": 2, "policy": "original", "checks": checks, "flagged": flagged,
                                         "reasons": flagged ? ["evaluator-tamper: flagged"] : []]
            try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(to: p.integrity)
        }
        if state == .done || state == .failed {
            var phaseSeconds: [String: Double] = [:]
            for ph in Phase.allCases { if let s = m[ph].startedAt, let e = m[ph].endedAt { phaseSeconds[ph.rawValue] = e.timeIntervalSince(s) } }
            let r = RunResult(id: id, spec: spec, outcome: state, failure: m.failure, exit: m.exit,
                              finalScore: final.map { ScoreSummary(accuracy: $0, stderr: 0.02, n: 100) },
                              baseScore: base.map { ScoreSummary(accuracy: $0, stderr: 0.02, n: 100) },
                              scoreState: final == nil ? .evaluationFailed : .scored, integrityFlagged: flagged, agentSeconds: agentSeconds,
                              phaseSeconds: phaseSeconds, createdAt: created, finishedAt: t, versions: ["ptb": PTBVersion.current])
            try JSONIO.write(r, to: p.result)
        }
        let usage: [String: Any] = ["usage": ["input": 1_200_000, "cached": 900_000, "output": 40_000, "reasoning": 5000],
                                    "reportedCostUSD": 3.25, "toolCalls": 42, "errors": 0, "events": 100, "unknown": 0, "model": "claude-sonnet-4"]
        try JSONSerialization.data(withJSONObject: usage, options: [.sortedKeys]).write(to: p.usage)
        return p
    }

    static func samplesFile(_ dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var out = ""
        for i in 0..<samples {
            let correct = i < correctSamples
            var completion = "Let me think step by step. The answer is \(correct ? i : i + 1)."
            if i == 3 { completion += " <b>not bold</b>" }
            if i == 33 { completion += " \(sampleNeedle)" }
            let o: [String: Any] = ["id": "humaneval-\(i)", "epoch": 1, "prompt": [["role": "user", "content": "Question \(i): what is \(i)?"]],
                                    "completion": completion, "target": String(i), "answer": String(correct ? i : i + 1),
                                    "correct": correct, "score": correct ? 1 : 0, "latencySeconds": 0.5]
            out += String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        try Data(out.utf8).write(to: dir.appendingPathComponent("samples.jsonl"))
        let metrics: [String: Any] = ["accuracy": 0.4, "stderr": 0.02, "n": samples, "correct": correctSamples, "task": "humaneval"]
        try JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys]).write(to: dir.appendingPathComponent("metrics.json"))
    }

    static func monitorFile(_ url: URL, start: Date) throws {
        var out = ""
        for i in 0..<monitorSamples {
            let u = 50 + 40 * sin(Double(i) / 30)
            out += "{\"diskFreeGiB\":\(200 - Double(i) / 10),\"diskTotalGiB\":500,\"gpus\":[{\"index\":0,\"memoryTotalMiB\":81559,\"memoryUsedMiB\":\(40000 + i * 50),\"utilization\":\(Int(u))}],"
            out += "\"load1\":\(1 + Double(i % 7) / 2),\"memAvailableMiB\":\(60000 - i * 20),\"memTotalMiB\":128000,\"ts\":\"\(Timestamps.iso(start.addingTimeInterval(Double(i) * 60)))\"}\n"
        }
        try Data(out.utf8).write(to: url)
    }

    /// A Claude-like session: text, tool calls with long inputs, long tool results, usage; the
    /// needle planted once, an HTML payload on the first page.
    static func traceFiles(_ p: RunPaths, start: Date, bytes: Int) throws -> (needle: Int, lines: Int) {
        FileManager.default.createFile(atPath: p.trace.path, contents: nil)
        FileManager.default.createFile(atPath: p.events.path, contents: nil)
        let trace = try FileHandle(forWritingTo: p.trace), events = try FileHandle(forWritingTo: p.events)
        defer { try? trace.close(); try? events.close() }
        let filler = String(repeating: "training loss 0.4213 step 1200/5000 lr 2e-5 ", count: 8)
        var written = 0, n = 0, needle = -1
        // About 370 bytes a line: the needle lands deep in a big trace, mid-way in a small one.
        let needleAt = min(77_777, bytes / 370 / 2)
        var tb = "", eb = ""
        while written < bytes {
            let ts = Timestamps.iso(start.addingTimeInterval(Double(n) * 0.3))
            var e: String
            switch n % 4 {
            case 0: e = "{\"kind\":\"assistant_text\",\"text\":\"Step \(n): I will fine-tune with a lower learning rate.\",\"ts\":\"\(ts)\"}"
            case 1:
                let input = n == 1 ? "<script>alert(\\\"trace-xss\\\")</script>" : "python train.py --step \(n) --lr 2e-5 # \(filler)"
                e = "{\"call_id\":\"c\(n)\",\"input\":\"\(input)\",\"kind\":\"tool_call\",\"tool\":\"Bash\",\"ts\":\"\(ts)\"}"
            case 2: e = "{\"call_id\":\"c\(n - 1)\",\"kind\":\"tool_result\",\"text\":\"\(filler)\(filler)\",\"ts\":\"\(ts)\"}"
            default: e = "{\"kind\":\"usage\",\"ts\":\"\(ts)\",\"usage\":{\"cached\":1000,\"input\":1200,\"output\":80,\"reasoning\":0}}"
            }
            if n == needleAt {
                e = "{\"kind\":\"assistant_text\",\"text\":\"The secret marker is \(WebFixture.needle) here.\",\"ts\":\"\(ts)\"}"
                needle = n
            }
            let t = "{\"line\":\(jsonString(e)),\"ts\":\"\(ts)\"}"
            eb += e + "\n"
            tb += t + "\n"
            written += e.utf8.count + 1
            n += 1
            if eb.utf8.count > 1 << 20 {
                events.write(Data(eb.utf8)); trace.write(Data(tb.utf8))
                eb = ""; tb = ""
            }
        }
        events.write(Data(eb.utf8)); trace.write(Data(tb.utf8))
        return (needle, n)
    }

    /// The lines written here hold no control characters: quotes and backslashes are all to escape.
    static func jsonString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
