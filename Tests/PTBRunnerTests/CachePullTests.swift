import Foundation
import PTBCore
import PTBRunner
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `scripts/local-hub.py` on loopback: the Hub API that huggingface_hub's snapshot_download
/// uses, over a directory of tiny repositories. Stopped with SIGKILL (test processes block SIGTERM).
final class LocalHub {
    let root: URL
    let process: Process
    let port: Int
    let log: URL
    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(root: URL, token: String, cutFirstDownload: Bool = false) throws {
        self.root = root
        log = root.appendingPathComponent("requests.log")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repoRoot.appendingPathComponent("scripts/local-hub.py").path, root.path, "--token", token, "--log", log.path]
            + (cutFirstDownload ? ["--cut-first-download"] : [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        process = p
        // The first line is `PORT <n>`.
        var line = Data()
        while let b = try out.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data("\n".utf8) { line.append(b) }
        guard let n = Int(String(decoding: line, as: UTF8.self).replacingOccurrences(of: "PORT ", with: "")) else {
            kill(p.processIdentifier, SIGKILL)
            throw PTBError.io("local hub did not start: \(String(decoding: line, as: UTF8.self))")
        }
        port = n
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A repository of the hub: `kind` is `models` or `datasets`.
    static func addRepo(_ root: URL, kind: String, id: String, files: [String: Data]) throws {
        let dir = root.appendingPathComponent(kind).appendingPathComponent(id)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
    }

    static func copyRepo(_ root: URL, id: String, from src: URL) throws {
        let dir = root.appendingPathComponent("models").appendingPathComponent(id)
        try FileManager.default.createDirectory(at: dir.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: src, to: dir)
    }
}

/// Every regular file under `dirs` that contains `needle` (secrets must never be stored).
func filesContaining(_ needle: String, in dirs: [URL]) -> [String] {
    var hits: [String] = []
    for dir in dirs {
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = try? Data(contentsOf: url), data.count < 50_000_000 else { continue }
            if data.range(of: Data(needle.utf8)) != nil { hits.append(url.path) }
        }
    }
    return hits
}

@Suite struct CacheListTests {
    @Test func defaultListIsTheOriginalsWithoutTestSetsAndWithReferencesApart() throws {
        let items = try CacheList.parse(String(contentsOf: try CacheList.defaultList(), encoding: .utf8), source: "default")
        let models = items.filter { $0.kind == .model }, refs = items.filter { $0.kind == .reference }, data = items.filter { $0.kind == .dataset }
        // The original's 14 models: 12 stay models, its 2 instruct counterparts become references,
        // joined by the other two paper models' counterparts.
        #expect(models.count == 12 && refs.map(\.repoID).sorted() == ["HuggingFaceTB/SmolLM3-3B", "Qwen/Qwen3-1.7B", "Qwen/Qwen3-4B", "google/gemma-3-4b-it"])
        for m in ModelCatalog.builtIn where !m.local {
            #expect(models.contains { $0.repoID == m.id })
            for i in m.instruct { #expect(refs.contains { $0.repoID == i }) }
        }
        // 382 dataset entries less 11 test sets and one duplicate.
        #expect(data.count == 370)
        #expect(items.allSatisfy { CacheList.testSetTask($0.repoID) == nil }, "no benchmark test set in the agents' cache")
        #expect(CachePull.refusals(items).isEmpty)
    }

    @Test func testSetsAreRefusedAndBadLinesNamed() throws {
        let items = try CacheList.parse("""
            # comment
            dataset openai/gsm8k   # the test set
            dataset ai-mo/numinamath-cot@v1
            reference Idavidrein/gpqa
            model Qwen/Qwen3-1.7B-Base
            """, source: "list")
        #expect(items[1].revision == "v1")
        let refused = CachePull.refusals(items)
        #expect(refused.map(\.repoID) == ["openai/gsm8k"] && refused[0].reason?.contains("gsm8k") == true && refused[0].errorClass == "test-set")
        #expect { try CacheList.parse("model\nweights Qwen/x\nmodel not//valid\n", source: "my.list") } throws: { e in
            "\(e)".contains("my.list") && "\(e)".contains("line 1") && "\(e)".contains("line 2") && "\(e)".contains("line 3")
        }
    }
}

/// `ptb cache pull` against a local hub, then a run of the pulled model with provenance against
/// its catalogued reference. Needs PTB_TEST_HOME (its Python env has huggingface_hub).
@Suite(.serialized) struct CachePullTests {
    static let token = "ptb-test-hub-token-0123456789"


    /// Hub repos: the tiny model, a perturbed copy as its "instruct" counterpart, a dataset, a gated model.
    func makeHub(_ h: TestHome) throws -> URL {
        let hubRoot = h.root.appendingPathComponent("hubroot")
        let tiny = h.home.models.appendingPathComponent("tiny").resolvingSymlinksInPath()
        try LocalHub.copyRepo(hubRoot, id: "ptb-test/tiny-lm", from: tiny)
        try LocalHub.copyRepo(hubRoot, id: "ptb-test/tiny-lm-chat", from: tiny)
        // The counterpart must differ from the base, as an instruct model does.
        let perturb = """
            import sys, torch
            from safetensors.torch import load_file, save_file
            p = sys.argv[1]; t = load_file(p); g = torch.Generator().manual_seed(0)
            save_file({k: v + 0.05 * torch.randn(v.shape, generator=g, dtype=v.dtype) if v.is_floating_point() else v for k, v in t.items()}, p, metadata={"format": "pt"})
            """
        let py = Process()
        py.executableURL = h.home.python
        py.arguments = ["-c", perturb, hubRoot.appendingPathComponent("models/ptb-test/tiny-lm-chat/model.safetensors").path]
        try py.run()
        py.waitUntilExit()
        #expect(py.terminationStatus == 0)
        try LocalHub.addRepo(hubRoot, kind: "datasets", id: "ptb-test/tiny-data", files: ["train.jsonl": Data("{\"q\": \"1+1\", \"a\": \"2\"}\n".utf8)])
        try LocalHub.addRepo(hubRoot, kind: "models", id: "ptb-test/gated-lm", files: ["config.json": Data("{\"model_type\": \"llama\"}".utf8)])
        try "ptb-test/gated-lm\n".write(to: hubRoot.appendingPathComponent("gated.txt"), atomically: true, encoding: .utf8)
        return hubRoot
    }

    @Test func pullFetchesResumesReportsAndKeepsTheTokenSecret() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let hub = try LocalHub(root: try makeHub(h), token: Self.token, cutFirstDownload: true)
        defer { hub.stop() }
        let hf = h.root.appendingPathComponent("hf")
        let list = h.root.appendingPathComponent("list.txt")
        try """
            model ptb-test/tiny-lm
            dataset ptb-test/tiny-data
            reference ptb-test/tiny-lm-chat
            model ptb-test/gated-lm
            model ptb-test/absent
            model ptb-test/tiny-lm@no-such-branch
            dataset openai/gsm8k
            """.write(to: list, atomically: true, encoding: .utf8)
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HOME": hf.path, "HF_TOKEN": ""]
        let started = Date()
        let r = try ptb(["cache", "pull", "--list", list.path, "--progress-interval", "0.5"], home: h, env: env, timeout: 300)
        print("cache pull (6 items, local hub): \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(r.status == 1, "failures make the exit status 1")
        #expect(r.stdout.contains("3 of 7 fetched"), "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("FAILED model ptb-test/gated-lm: gated:") && r.stdout.contains("HF_TOKEN"))
        #expect(r.stdout.contains("FAILED model ptb-test/absent: not-found"))
        #expect(r.stdout.contains("FAILED model ptb-test/tiny-lm@no-such-branch: revision-not-found"))
        #expect(r.stdout.contains("REFUSED dataset openai/gsm8k: test-set"))
        #expect(r.stderr.contains("[1/6] model ptb-test/tiny-lm: started") && r.stderr.contains("done"))
        // Models and datasets in the shared cache, the reference only under PTB_HOME.
        let shared = hf.appendingPathComponent("hub")
        guard case .found(let snap) = HFCache.lookup("ptb-test/tiny-lm", revision: nil, cache: shared) else {
            Issue.record("the model is not in the shared cache"); return
        }
        let original = try Data(contentsOf: h.home.models.appendingPathComponent("tiny/model.safetensors"))
        #expect(try Data(contentsOf: snap.appendingPathComponent("model.safetensors")) == original, "the interrupted download was completed")
        #expect(HFCache.lookup("ptb-test/tiny-data", type: .dataset, revision: nil, cache: shared, requiredFile: "train.jsonl") != .missingRepo(shared.appendingPathComponent("datasets--ptb-test--tiny-data")))
        #expect(HFCache.lookup("ptb-test/tiny-lm-chat", revision: nil, cache: shared) == .missingRepo(shared.appendingPathComponent("models--ptb-test--tiny-lm-chat")))
        guard case .found = HFCache.lookup("ptb-test/tiny-lm-chat", revision: nil, cache: h.home.referencesHub) else {
            Issue.record("the reference is not in $PTB_HOME/references/hub"); return
        }
        // Every file was cut halfway on its first download; all were fetched again to the end.
        let log = try String(contentsOf: hub.log, encoding: .utf8)
        #expect(log.contains("GET /ptb-test/tiny-lm/resolve/"))

        // The gated model with a token; a second pull of what is there re-downloads nothing.
        let again = try ptb(["cache", "pull", "--model", "ptb-test/gated-lm", "--model", "ptb-test/tiny-lm"], home: h,
                            env: env.merging(["HF_TOKEN": Self.token]) { $1 }, timeout: 300)
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(again.stdout.contains("2 of 2 fetched"))
        let log2 = try String(contentsOf: hub.log, encoding: .utf8).dropFirst(log.count)
        #expect(!log2.contains("GET /ptb-test/tiny-lm/resolve/"), "complete files are not fetched again")
        #expect(!(r.stdout + r.stderr + again.stdout + again.stderr).contains(Self.token))
        #expect(filesContaining(Self.token, in: [h.home.root, hf]).isEmpty, "the token is stored nowhere")
        let report = try String(contentsOf: h.home.root.appendingPathComponent("cache/last-pull.json"), encoding: .utf8)
        #expect(report.contains("ptb-test/gated-lm") && report.contains("\"ok\""))
    }

    /// Done-when of issue 19: a hub id pulled by `ptb cache pull` is a base model of `ptb run`,
    /// checked against its catalogued reference; a submission of that reference is caught.
    @Test func pulledHubModelRunsEndToEndWithProvenanceAgainstItsReference() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let hub = try LocalHub(root: try makeHub(h), token: Self.token)
        defer { hub.stop() }
        let hf = h.root.appendingPathComponent("hf")
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HOME": hf.path, "HF_TOKEN": ""]
        try """
            models:
              - id: ptb-test/tiny-lm
                instruct: [ptb-test/tiny-lm-chat]
                chat_template: chatml
                display_name: Tiny LM
            """.write(to: ModelCatalog.catalogFile(h.home), atomically: true, encoding: .utf8)
        // Before the pull the model is missing and the error names the command.
        let missing = try ptb(["run", "--task", "arith", "--model", "ptb-test/tiny-lm", "--agent", "none", "--runs-dir", h.runs.path], home: h, env: env)
        #expect(missing.status != 0 && missing.stderr.contains("ptb cache pull --model ptb-test/tiny-lm"), "\(missing.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.runs.path).isEmpty)

        let pull = try ptb(["cache", "pull", "--model", "ptb-test/tiny-lm", "--reference", "ptb-test/tiny-lm-chat"], home: h, env: env, timeout: 300)
        #expect(pull.status == 0, "\(pull.stdout)\n\(pull.stderr)")
        hub.stop()

        let honest = try ptb(["run", "--task", "arith", "--model", "ptb-test/tiny-lm", "--agent", "none", "--hours", "0.05", "--skip-base",
                              "--eval-limit", "5", "--runs-dir", h.runs.path], home: h, env: env.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        #expect(honest.status == 0, "\(honest.stderr.suffix(3000))")
        let (paths, m) = try h.onlyRun()
        #expect(m.outcome == .done && m.spec.model == "ptb-test/tiny-lm")
        let integrity = try String(contentsOf: paths.integrity, encoding: .utf8)
        #expect(integrity.contains("references: ptb-test/tiny-lm-chat"), "\(integrity)")
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.integrityFlagged == false, "\(integrity)")
        #expect(result.finalScore?.n == 5)

        // A submission of the reference: the agent (no sandbox, to reach it) copies it.
        guard case .found(let ref) = HFCache.lookup("ptb-test/tiny-lm-chat", revision: nil, cache: h.home.referencesHub) else {
            Issue.record("reference missing"); return
        }
        let cheat = try h.agent("copy-ref", script: "cp -rL \(ref.path) final_model")
        let runs2 = h.root.appendingPathComponent("runs2")
        let flagged = try ptb(["run", "--task", "arith", "--model", "ptb-test/tiny-lm", "--agent", "command", "--agent-config", cheat.path,
                               "--sandbox", "none", "--hours", "0.05", "--skip-base", "--eval-limit", "2", "--runs-dir", runs2.path],
                              home: h, env: env.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        let dir = try #require(try FileManager.default.contentsOfDirectory(atPath: runs2.path).first)
        let report = try String(contentsOf: runs2.appendingPathComponent(dir).appendingPathComponent("integrity.json"), encoding: .utf8)
        #expect(report.contains("identical-to-reference") || report.contains("closer-to-reference"), "\(report)\n\(flagged.stderr.suffix(2000))")
    }
}
