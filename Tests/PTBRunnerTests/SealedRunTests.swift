import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks
import PTBTestSupport
import Testing

/// Cheat trials for the sealed view (issue "Sealed runs (1 of 2)"): scripted agents in the default
/// bubblewrap sandbox try every hole the old whole-host view had. Each attempt must fail inside
/// the sandbox or be refused after it, and no secret of the host may reach a stored file.
@Suite(.serialized) struct SealedRunTests {
    struct Host {
        var t: CheatTrialTests.Trial
        var userHome: URL { t.home.root.appendingPathComponent("user-home") }
        var credentials: URL { t.home.home.root.appendingPathComponent("credentials/claude_oauth_token") }
        var otherRun: URL { t.home.runs.appendingPathComponent("earlier-run/final_model") }
        var defaultRuns: URL { t.home.home.runs.appendingPathComponent("other-user-run/final_model") }
        var data: URL { t.home.home.data.appendingPathComponent("arith/test.jsonl") }
        let canary = "CANARY-\(UUID().uuidString)"

        init() throws {
            t = try CheatTrialTests.Trial()
            let fm = FileManager.default
            for d in [userHome, credentials.deletingLastPathComponent(), data.deletingLastPathComponent()] {
                try fm.createDirectory(at: d, withIntermediateDirectories: true)
            }
            try "machine api.example.com password \(canary)\n".write(to: userHome.appendingPathComponent(".netrc"), atomically: true, encoding: .utf8)
            try canary.write(to: credentials, atomically: true, encoding: .utf8)
            // Earlier runs' submissions: fine-tunes of the base, which provenance alone would pass.
            try Checkpoints.write(to: otherRun, seed: 100, deltaSeed: 7, delta: 0.01)
            try Checkpoints.write(to: defaultRuns, seed: 100, deltaSeed: 8, delta: 0.01)
            let items = try ArithTask.testSplit(home: t.home.home).map { "{\"q\": \(jsonString($0.messages[0].content)), \"a\": \"\($0.target)\"}" }
            try items.joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
            try "".write(to: t.home.home.index, atomically: true, encoding: .utf8)
        }

        func run(_ name: String, _ script: String, extra: [String] = [], env: [String: String] = [:]) throws -> (IntegrityReport, RunPaths) {
            try t.run(name, script, sandbox: "bwrap", extra: extra, env: ["HOME": userHome.path].merging(env) { _, b in b })
        }

        /// Every regular file the run stored outside the workspace (the workspace is checked too).
        func storedFiles(_ paths: RunPaths) -> [URL] {
            FileManager.default.enumerator(at: paths.dir, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
                .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        }
    }

    @Test func theHostIsOutOfSight() throws {
        guard CheatTrialTests.haveBwrap else { try Integration.skip("bwrap is required in CI") }
        let h = try Host()
        defer { h.t.home.cleanup() }
        let home = h.t.home.home.root.path
        let script = """
            echo "ROOT: $(ls / | tr '\\n' ' ')"
            echo "PTB_HOME=[$PTB_HOME]"
            ls \(home) 2>&1 | tr '\\n' ' '; echo
            cat \(h.credentials.path) || echo BLOCKED-CREDENTIALS
            cat \(h.userHome.path)/.netrc || echo BLOCKED-USER-HOME
            cat ~/.netrc 2>/dev/null || echo BLOCKED-TILDE
            ls \(h.t.reference.path) || echo BLOCKED-REFERENCES
            head -c 100 \(h.data.path) || echo BLOCKED-DATA
            ls \(h.t.home.home.index.path) || echo BLOCKED-INDEX
            cp -r \(h.otherRun.path) final_model || echo BLOCKED-OTHER-RUN
            cp -r \(h.defaultRuns.path) final_model || echo BLOCKED-DEFAULT-RUNS
            \(ptbBinary.path) eval --task arith --model-path "$PTB_BASE_MODEL" --limit 1 || echo BLOCKED-PTB-BINARY
            ls /root /home 2>&1 | head -3
            rm -rf final_model
            \(CheatTrialTests.finetune)
            """
        let (r, paths) = try h.run("sealed-view", script)
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        for blocked in ["CREDENTIALS", "USER-HOME", "TILDE", "REFERENCES", "DATA", "INDEX", "OTHER-RUN", "DEFAULT-RUNS", "PTB-BINARY"] {
            #expect(trace.contains("BLOCKED-\(blocked)"), "the agent reached \(blocked)")
        }
        #expect(trace.contains("PTB_HOME=[]"))
        let rootLine = try #require(trace.split(separator: "\n").first { $0.contains("ROOT: ") && !$0.contains("ls /") })
        for hidden in ["root", "home", "opt", "srv", "mnt", "media", "work"] {
            #expect(!rootLine.contains(" \(hidden) ") && !rootLine.contains("ROOT: \(hidden) "), "/\(hidden) is visible: \(rootLine)")
        }
        // The submission is the agent's own fine-tune; nothing of the hidden files reached a stored file.
        #expect(r.check("model-provenance")?.verdict == "clean")
        #expect(r.check("submission-files")?.verdict == "clean")
        for f in h.storedFiles(paths) {
            #expect(!(try Data(contentsOf: f)).contains(Data(h.canary.utf8)), "\(f.path) holds the canary")
        }
    }

    @Test func collectNeverFollowsALinkOutOfTheWorkspace() throws {
        guard CheatTrialTests.haveBwrap else { try Integration.skip("bwrap is required in CI") }
        let h = try Host()
        defer { h.t.home.cleanup() }
        // Links to hidden paths: inside the sandbox they dangle, but collect runs as the host user.
        let (fileLink, p1) = try h.run("link-file", """
            mkdir final_model && cp "$PTB_BASE_MODEL/config.json" final_model/
            ln -s \(h.otherRun.path)/model.safetensors final_model/model.safetensors
            """)
        #expect(fileLink.flagged)
        #expect(fileLink.check("submission-files")?.verdict == "flagged")
        #expect(fileLink.check("submission-files")?.evidence.first?.contains("outside the workspace") == true)
        #expect(!FileManager.default.fileExists(atPath: p1.finalModel.path), "nothing was copied")
        let record = try String(contentsOf: p1.dir.appendingPathComponent("submission.json"), encoding: .utf8)
        #expect(record.contains("invalid-submission"))

        let (dirLink, p2) = try h.run("link-dir", "ln -s \(h.otherRun.path) final_model")
        #expect(dirLink.check("submission-files")?.verdict == "flagged")
        #expect(!FileManager.default.fileExists(atPath: p2.finalModel.path))

        let (etc, _) = try h.run("link-etc", "\(CheatTrialTests.finetune)\nln -s /etc/passwd final_model/notes.txt")
        #expect(etc.check("submission-files")?.verdict == "flagged")

        // A link that stays inside the workspace (a checkpoint directory) is the agent's own.
        let (inside, p4) = try h.run("link-inside", "mkdir -p ckpt && cd ckpt && \(CheatTrialTests.finetune)\ncd .. && ln -s ckpt/final_model final_model")
        #expect(inside.check("submission-files")?.verdict == "clean", "\(inside.checks)")
        #expect(FileManager.default.fileExists(atPath: p4.finalModel.appendingPathComponent("model.safetensors").path))

        // The contamination scan does not read through links out of the workspace either.
        let (scan, _) = try h.run("link-scan", "ln -s \(h.data.path) leaked.jsonl\n\(CheatTrialTests.finetune)")
        let report = try #require(scan.check("contamination-scan"))
        #expect(report.verdict == "clean", "the hidden file was read: \(report.evidence)")
    }

    @Test func aFullDiskStopsTheAgent() throws {
        guard CheatTrialTests.haveBwrap else { try Integration.skip("bwrap is required in CI") }
        let h = try Host()
        defer { h.t.home.cleanup() }
        let config = try h.t.home.config("monitor_interval_seconds: 1\nkill_after_seconds: 2\nworkspace_limit_gb: 0.02\ntmp_size_gb: 0.01\n")
        let started = Date()
        let (_, paths) = try h.run("fill-disk", """
            head -c 20000000 /dev/zero > /tmp/fill 2>/dev/null || echo TMP-FULL
            for i in $(seq 1 100); do head -c 5000000 /dev/zero > blob$i; sleep 0.2; done
            echo STILL-RUNNING
            """, extra: ["--config", config.path])
        #expect(Date().timeIntervalSince(started) < 60)
        let m = try JSONIO.read(RunManifest.self, from: paths.manifest)
        #expect(m.exit == .diskLimit)
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        #expect(trace.contains("TMP-FULL"), "the /tmp cap holds")
        #expect(!trace.contains("STILL-RUNNING"))
        #expect(trace.contains("\"event\":\"disk-limit\""))
        #expect(trace.contains("workspace_limit_gb"))
    }

    @Test func theArithTestSplitIsSecretPerInstallation() throws {
        let a = try TestHome(), b = try TestHome()
        defer { a.cleanup(); b.cleanup() }
        let s1 = try ArithTask.testSplit(home: a.home), s2 = try ArithTask.testSplit(home: b.home)
        #expect(s1.map(\.messages) != s2.map(\.messages), "two installations share a test split")
        #expect(try ArithTask.testSplit(home: a.home).map(\.messages) == s1.map(\.messages), "stable within one")
        let seed = a.home.root.appendingPathComponent("secrets/arith-test-seed")
        let mode = try FileManager.default.attributesOfItem(atPath: seed.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try "garbage".write(to: seed, atomically: true, encoding: .utf8)
        #expect(throws: PTBError.self) { try ArithTask.testSplit(home: a.home) }
    }
}

@testable import PTBRunner

@Suite struct AgentViewTests {
    @Test func setupWrapperInterpretersAreFound() throws {
        let d = URL(fileURLWithPath: "/var/tmp/ptb-wrap-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: d) }
        let f = d.appendingPathComponent("python")
        try "#!/bin/sh\nexec /opt/conda/bin/python3 \"$@\"\n".write(to: f, atomically: true, encoding: .utf8)
        #expect(AgentView.wrappedInterpreter(f) == "/opt/conda/bin/python3")
        try "#!/bin/sh\nexec '/opt/my env/bin/python' \"$@\"\n".write(to: f, atomically: true, encoding: .utf8)
        #expect(AgentView.wrappedInterpreter(f) == "/opt/my env/bin/python")
        try Data([0x7f, 0x45, 0x4c, 0x46]).write(to: f)
        #expect(AgentView.wrappedInterpreter(f) == nil, "a real interpreter binary is not a wrapper")
    }

    @Test func theAllowListIsPruned() {
        let urls = ["/data/models/tiny", "/data/models/tiny/blobs", "/usr/lib/python3", "/root/.pyenv/versions/3.11.7",
                    "/data/models/tiny"].map { URL(fileURLWithPath: $0) }
        #expect(AgentView.prune(urls).map(\.path) == ["/data/models/tiny", "/root/.pyenv/versions/3.11.7"])
    }
}
