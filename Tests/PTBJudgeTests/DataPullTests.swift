import Foundation
import PTBCore
import PTBJudge
import PTBTasks
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
        guard let data = sharedData else { return }
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
        guard let data = sharedData else { return }
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
        #expect(throws: DataPullError.self) { try d.sources("gsm8k") }
    }
}
