import Foundation
import PTBCore
@testable import PTBTasks
import PTBTestSupport
import Synchronization
import Testing

/// `python3 -m http.server` equivalent on a free port, serving `argv[1]`.
let staticServer = #"""
import functools, http.server, sys
H = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
H.log_message = lambda *a: None
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""#

@Suite(.serialized) struct DataPullTests {
    /// Lays the shared data copies out under the pinned URLs' paths, as a mirror of upstream.
    func mirror(_ root: URL, data: URL, corrupt: String? = nil) throws {
        let copies = ["question": "arenahardwriting/question.jsonl", "baseline": "arenahardwriting/baseline-Qwen3-1.7B.jsonl",
                      "test": "healthbench/healthbench-easy-245.jsonl"]
        for (_, files) in DataSources.all {
            for f in files {
                let path = URL(string: f.url)!.path
                let dest = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
                var bytes = try Data(contentsOf: data.appendingPathComponent(copies[f.split]!))
                if corrupt == f.split { bytes.append(contentsOf: Array("\n".utf8)) }
                try bytes.write(to: dest)
            }
        }
    }

    @Test func pullsPinnedFilesChecksThemAndRecordsTheManifest() async throws {
        let data = try Integration.require(Integration.sharedData, "../shared/data must hold the Arena-Hard and HealthBench data copies")
        let s = try Scratch()
        defer { s.cleanup() }
        let root = s.url.appendingPathComponent("mirror")
        try mirror(root, data: data)
        let server = try PythonServer(script: staticServer, arguments: [root.path])
        defer { server.stop() }
        let store = TaskDataStore(home: s.home)
        let d = DataDownloader(store: store, environment: [:], mirror: server.base)
        for task in ["arenahardwriting", "healthbench"] {
            let pulled = try await d.pull(task)
            #expect(pulled.allSatisfy { $0.1.isEmpty }, "no row-count warnings")
        }
        let arena = try #require(try store.manifest("arenahardwriting"))
        #expect(arena.splits["question"]?.rows == 250 && arena.splits["baseline"]?.rows == 250)
        #expect(arena.splits["question"]?.sourceSha256 == DataSources.all["arenahardwriting"]![0].sha256)
        #expect(arena.splits["question"]?.source.hasPrefix("https://raw.githubusercontent.com/aisa-group/PostTrainBench/9082063") == true)
        #expect(try store.manifest("healthbench")?.splits["test"]?.rows == 245)
        // The pulled data is what the tasks read.
        let arenaSamples = try ArenaHardWritingTask().samples(home: s.home)
        #expect(arenaSamples.count == 250 && arenaSamples.allSatisfy { !($0.metadata?["baseline"] ?? "").isEmpty })
        let hb = try HealthBenchTask().samples(home: s.home)
        #expect(hb.count == 245)
        #expect(hb.allSatisfy { $0.messages.count >= 5 && $0.messages.last?.role == "user" })
        let rubricItems = try hb.map { try JSONDecoder().decode([HealthBenchTask.RubricItem].self, from: Data($0.metadata!["rubrics"]!.utf8)).count }
        #expect(rubricItems.reduce(0, +) == 1873)
    }

    @Test func aChangedUpstreamFileIsRefusedAndNothingIsImported() async throws {
        let data = try Integration.require(Integration.sharedData, "../shared/data must hold the Arena-Hard and HealthBench data copies")
        let s = try Scratch()
        defer { s.cleanup() }
        let root = s.url.appendingPathComponent("mirror")
        try mirror(root, data: data, corrupt: "test")
        let server = try PythonServer(script: staticServer, arguments: [root.path])
        defer { server.stop() }
        let store = TaskDataStore(home: s.home)
        let d = DataDownloader(store: store, environment: [:], mirror: server.base)
        let e = await #expect(throws: DataPullError.self) { try await d.pull("healthbench") }
        guard case .checksum(_, let expected, _) = e else { Issue.record("expected a checksum error, got \(String(describing: e))"); return }
        #expect(expected == DataSources.all["healthbench"]![0].sha256)
        #expect(try store.manifest("healthbench") == nil)
        // A missing file is an HTTP error that names the URL.
        try FileManager.default.removeItem(at: root.appendingPathComponent("aisa-group"))
        await #expect(throws: DataPullError.self) { try await d.pull("arenahardwriting") }
    }

    @Test func offlineIsAClearError() async throws {
        let s = try Scratch()
        defer { s.cleanup() }
        var d = DataDownloader(store: TaskDataStore(home: s.home), environment: [:], mirror: "http://127.0.0.1:1")
        d.headTimeoutSeconds = 3
        let e = await #expect(throws: DataPullError.self) { try await d.pull("healthbench") }
        guard case .unreachable = e else { Issue.record("expected unreachable, got \(String(describing: e))"); return }
        #expect("\(e!)".contains("ptb data import"))
        #expect(throws: DataPullError.self) { try d.sources("arith") }
    }
}

/// A stand-in for datasets-server's `/rows`: pages of a JSONL file per (dataset, config, split),
/// `length` capped at 100 as upstream; every request's query is appended to argv[2].
let rowsServer = #"""
import http.server, json, sys, urllib.parse
root, log = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        open(log, "a").write(json.dumps(q) + "\n")
        name = "%s__%s__%s.jsonl" % (q["dataset"].replace("/", "_"), q["config"], q["split"])
        try:
            rows = [json.loads(l) for l in open(root + "/" + name)]
        except FileNotFoundError:
            self.send_response(404); self.end_headers(); return
        off, n = int(q["offset"]), min(int(q["length"]), 100)
        body = json.dumps({"rows": [{"row_idx": off + i, "row": r} for i, r in enumerate(rows[off:off + n])],
                           "num_rows_total": len(rows)}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""#

extension DataPullTests {
    @Test func hubDatasetsArePagedThroughTheRowsAPI() async throws {
        let s = try Scratch()
        defer { s.cleanup() }
        let root = s.url.appendingPathComponent("rows")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        func write(_ name: String, _ rows: [[String: Any]]) throws {
            let text = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
            try (text.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        // 250 test rows = 3 pages; a GPQA row with a comma, a quote and a newline for the CSV path.
        try write("openai_gsm8k__main__test.jsonl", (1...250).map { ["question": "What is \($0) + 1?", "answer": "Add one.\n#### \($0 + 1)"] })
        try write("openai_gsm8k__main__train.jsonl", (1...30).map { ["question": "Train \($0)?", "answer": "#### \($0)"] })
        try write("Idavidrein_gpqa__gpqa_main__train.jsonl", [["Record ID": "rec1", "Question": "Which, \"really\"\nfirst?", "Correct Answer": "A",
                                                             "Incorrect Answer 1": "B", "Incorrect Answer 2": "C", "Incorrect Answer 3": "D", "Extra": 1]])
        let log = s.url.appendingPathComponent("requests.log")
        let server = try PythonServer(script: rowsServer, arguments: [root.path, log.path])
        defer { server.stop() }
        let store = TaskDataStore(home: s.home)
        let lines = Mutex<[String]>([])
        let d = DataDownloader(store: store, environment: ["HF_TOKEN": "hf_secret"], mirror: server.base) { m in lines.withLock { $0.append(m) } }
        let pulled = try await d.pull("gsm8k")
        #expect(pulled.map(\.0.rows) == [250, 30])
        #expect(pulled[0].1.first?.contains("1319") == true, "a count that differs from upstream is reported")
        let requests = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(requests.count == 4, "3 pages of test, 1 of train")
        #expect(lines.withLock { $0 }.contains("gsm8k test: 250/250 rows from openai/gsm8k"))
        let samples = try GSM8KTask().samples(home: s.home)
        #expect(samples.count == 250 && samples[0].target == "2" && samples[249].target == "251")
        #expect(try store.manifest("gsm8k")?.splits["test"]?.source.hasPrefix("hf://datasets/openai/gsm8k") == true)

        _ = try await d.pull("gpqamain")
        let gpqa = try GPQAMainTask().samples(home: s.home)
        #expect(gpqa.count == 1)
        #expect(gpqa[0].messages.last?.content.contains("Which, \"really\"\nfirst?") == true)
        // The token is for Hugging Face hosts only (here the mirror is a local server).
        #expect(d.authorization(for: "https://datasets-server.huggingface.co/rows?x") == "Bearer hf_secret")
        #expect(d.authorization(for: "https://huggingface.co/datasets/x") == "Bearer hf_secret")
        #expect(d.authorization(for: server.base + "/rows") == nil)
        #expect(d.authorization(for: "https://evilhuggingface.co/x") == nil)
    }
}
