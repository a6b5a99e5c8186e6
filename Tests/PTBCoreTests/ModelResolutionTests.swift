import Foundation
import Testing
@testable import PTBCore

/// `--model` resolution: Hugging Face ids in the hub cache the way huggingface_hub finds them,
/// revisions, local directories, and the catalog file.
@Suite struct ModelResolutionTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mres-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// A cache entry as huggingface_hub writes it: blob, snapshot link, ref.
    @discardableResult
    func cacheModel(_ id: String, in hub: URL, commit: String, ref: String? = "main", config: String = "{\"model_type\": \"llama\"}") throws -> URL {
        let fm = FileManager.default
        let repo = hub.appendingPathComponent(HFCache.repoFolder(id))
        let blob = repo.appendingPathComponent("blobs/\(UUID().uuidString)")
        try fm.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        try config.write(to: blob, atomically: true, encoding: .utf8)
        let snap = repo.appendingPathComponent("snapshots/\(commit)")
        try fm.createDirectory(at: snap, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: snap.appendingPathComponent("config.json").path, withDestinationPath: "../../blobs/\(blob.lastPathComponent)")
        if let ref {
            try fm.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
            try commit.write(to: repo.appendingPathComponent("refs/\(ref)"), atomically: true, encoding: .utf8)
        }
        return snap
    }

    let c1 = String(repeating: "a", count: 40)
    let c2 = String(repeating: "b", count: 40)

    @Test func hubCacheFollowsHuggingFaceHubsEnvironmentOrder() {
        #expect(HFCache.hubCache(env: ["HF_HUB_CACHE": "/x/hub", "HF_HOME": "/y"]).path == "/x/hub")
        #expect(HFCache.hubCache(env: ["HUGGINGFACE_HUB_CACHE": "/old", "HF_HOME": "/y"]).path == "/old")
        #expect(HFCache.hubCache(env: ["HF_HOME": "/y"]).path == "/y/hub")
        #expect(HFCache.hubCache(env: ["XDG_CACHE_HOME": "/xdg", "HOME": "/h"]).path == "/xdg/huggingface/hub")
        #expect(HFCache.hubCache(env: ["HOME": "/h"]).path == "/h/.cache/huggingface/hub")
    }

    @Test func anyHubIdResolvesThroughRefsAndRevisions() throws {
        let home = PTBHome(root: root.appendingPathComponent("ptb"))
        let hub = root.appendingPathComponent("hf/hub")
        let main = try cacheModel("acme/tiny-lm", in: hub, commit: c1)
        let v2 = try cacheModel("acme/tiny-lm", in: hub, commit: c2, ref: "v2")
        let env = ["HF_HOME": root.appendingPathComponent("hf").path]

        let m = try ModelCatalog.lookup("acme/tiny-lm")
        #expect(m.instruct.isEmpty && m.displayName == "tiny-lm" && m.revision == nil)
        #expect(try ModelCatalog.resolveDirectory(m, home: home, env: env).path == main.path)
        #expect(try ModelCatalog.resolveDirectory(try ModelCatalog.lookup("acme/tiny-lm", revision: "v2"), home: home, env: env).path == v2.path)
        // A commit hash names a snapshot directly, with or without a ref pointing at it.
        #expect(try ModelCatalog.resolveDirectory(try ModelCatalog.lookup("acme/tiny-lm", revision: c2), home: home, env: env).path == v2.path)
        // HF_HUB_CACHE wins over HF_HOME.
        #expect(throws: PTBError.self) {
            try ModelCatalog.resolveDirectory(m, home: home, env: env.merging(["HF_HUB_CACHE": root.appendingPathComponent("empty").path]) { $1 })
        }
    }

    @Test func missingModelSaysWhichCommandFetchesIt() throws {
        let home = PTBHome(root: root.appendingPathComponent("ptb"))
        let hub = root.appendingPathComponent("hub")
        let env = ["HF_HUB_CACHE": hub.path]
        #expect { try ModelCatalog.resolveDirectory(try ModelCatalog.lookup("acme/absent"), home: home, env: env) } throws: { e in
            "\(e)".contains("`ptb cache pull --model acme/absent`") && "\(e)".contains(hub.path) && "\(e)".contains("HF_TOKEN")
        }
        try cacheModel("acme/lm", in: hub, commit: c1)
        #expect { try ModelCatalog.resolveDirectory(try ModelCatalog.lookup("acme/lm", revision: "v9"), home: home, env: env) } throws: { e in
            "\(e)".contains("not at revision 'v9'") && "\(e)".contains("main") && "\(e)".contains("`ptb cache pull --model acme/lm --revision v9`")
        }
        // A snapshot without config.json is an interrupted download.
        let partial = hub.appendingPathComponent(HFCache.repoFolder("acme/partial") + "/snapshots/\(c1)")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("refs"), withIntermediateDirectories: true)
        try c1.write(to: partial.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        #expect { try ModelCatalog.resolveDirectory(try ModelCatalog.lookup("acme/partial"), home: home, env: env) } throws: { e in
            "\(e)".contains("incomplete") && "\(e)".contains("ptb cache pull --model acme/partial")
        }
    }

    @Test func badIdsAndRevisionsAreRefusedWithTheChoices() {
        for bad in ["acme//lm", "acme/lm/extra", "-acme/lm", "acme/lm.", "a--b/c", "ac me/lm", ""] {
            #expect(throws: PTBError.self, "\(bad)") { try ModelCatalog.lookup(bad) }
        }
        #expect(throws: PTBError.self) { try ModelCatalog.lookup("acme/lm", revision: "../../etc") }
        #expect(throws: PTBError.self) { try ModelCatalog.lookup("/some/dir", revision: "main") }
        #expect(HFCache.validRepoID("gpt2") && HFCache.validRepoID("Qwen/Qwen3-1.7B-Base") && HFCache.validRepoID("a_b.c/x-y_z.1"))
    }

    @Test func localDirectoryIsAModel() throws {
        let home = PTBHome(root: root.appendingPathComponent("ptb"))
        let dir = root.appendingPathComponent("my-model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let m = try ModelCatalog.lookup(dir.path)
        #expect(m.path == dir.path && m.displayName == "my-model")
        #expect { try ModelCatalog.resolveDirectory(m, home: home, env: [:]) } throws: { "\($0)".contains("has no config.json") }
        try "{}".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        #expect(try ModelCatalog.resolveDirectory(m, home: home, env: [:]).path == dir.path)
        #expect(ModelCatalog.key(dir.path, revision: nil) == "local-my-model")
        #expect(ModelCatalog.key("acme/lm", revision: "v2") == "acme_lm@v2")
        #expect(ModelCatalog.key("acme/lm", revision: "main") == "acme_lm")
    }

    @Test func catalogFileAddsAndOverridesModels() throws {
        let home = PTBHome(root: root.appendingPathComponent("ptb"))
        try FileManager.default.createDirectory(at: home.root, withIntermediateDirectories: true)
        try """
        models:
          - id: acme/lm-base
            instruct: [acme/lm-chat]
            chat_template: qwen3
            display_name: ACME LM
            revision: v2
          - id: Qwen/Qwen3-1.7B-Base
            instruct: [Qwen/Qwen3-1.7B, Qwen/Qwen3-1.7B-FP8]
          - id: local-llama
            path: ./weights/llama
            chat_template: own
        """.write(to: ModelCatalog.catalogFile(home), atomically: true, encoding: .utf8)
        let cat = try ModelCatalog.load(home: home)
        let a = try cat.lookup("acme/lm-base")
        #expect(a.instruct == ["acme/lm-chat"] && a.template == "qwen3.jinja" && a.templatePinned && a.displayName == "ACME LM" && a.revision == "v2")
        #expect(try cat.lookup("acme/lm-base", revision: "v3").revision == "v3")
        #expect(try cat.lookup("Qwen/Qwen3-1.7B-Base").instruct == ["Qwen/Qwen3-1.7B", "Qwen/Qwen3-1.7B-FP8"])
        #expect(try cat.lookup("acme/lm-chat").template == "qwen3.jinja", "an instruct counterpart is evaluated with its family's template")
        let l = try cat.lookup("local-llama")
        #expect(l.path == home.root.appendingPathComponent("weights/llama").path && l.template.isEmpty && l.templatePinned)
        #expect(try cat.lookup("tiny").local)
    }

    @Test func catalogFileMistakesNameTheKey() throws {
        let home = PTBHome(root: root.appendingPathComponent("ptb"))
        try FileManager.default.createDirectory(at: home.root, withIntermediateDirectories: true)
        for (text, says) in [
            ("models:\n  - id: acme/lm\n    instrcut: [x/y]\n", "instrcut"),
            ("models:\n  - id: acme/lm\n    chat_template: llama9\n", "llama9"),
            ("models:\n  - id: not//valid\n", "not a Hugging Face id"),
            ("modles: []\n", "modles"),
        ] {
            try text.write(to: ModelCatalog.catalogFile(home), atomically: true, encoding: .utf8)
            #expect { try ModelCatalog.load(home: home) } throws: { "\($0)".contains(says) && "\($0)".contains("models.yaml") }
        }
    }
}
