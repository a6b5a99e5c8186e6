import Foundation
import PTBCore
import PTBRunner
import PTBTestSupport
import Testing

/// `ptb doctor` on this CPU node, and with each prerequisite broken the way a cluster breaks it.
@Suite(.serialized) struct DoctorTests {
    func results(_ r: PTBResult) throws -> [DoctorResult] {
        try JSONDecoder().decode([DoctorResult].self, from: Data(r.stdout.utf8))
    }

    @Test func passesOnThisNodeAndReportsTheMissingGPU() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let key = "ptb-test-doctor-canary-0123456789"
        let env = ["HF_HOME": h.root.appendingPathComponent("hf").path, "ANTHROPIC_API_KEY": key]
        let started = Date()
        let r = try ptb(["doctor", "--model", "tiny", "--agent", "reference", "--runs-dir", h.runs.path, "--min-free-gb", "0.1"], home: h, env: env, timeout: 600)
        print("ptb doctor (CPU VM):\n\(r.stdout)(\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        for check in ["clock", "sandbox", "engine", "disk", "hf-cache"] {
            #expect(r.stdout.contains("PASS \(check):"), "\(check)")
        }
        #expect(r.stdout.contains("WARN gpu: no GPU"))
        #expect(r.stdout.contains("SKIP scheduler"))
        #expect(r.stdout.contains("doctor: all checks passed"))
        #expect(!(r.stdout + r.stderr).contains(key))
        let json = try results(try ptb(["doctor", "--json", "--model", "tiny", "--runs-dir", h.runs.path, "--min-free-gb", "0.1"], home: h, env: env, timeout: 600))
        #expect(json.contains { $0.check == "sandbox" && $0.status == .pass && $0.detail.contains("holds only") })
        #expect(json.contains { $0.check == "gpu" && $0.status == .warn })
    }

    @Test func brokenPrerequisitesFailWithAFixEach() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        // A PATH without bwrap (nor sinfo); the interpreter and coreutils are used by absolute path.
        let bin = h.root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let env = ["HF_HOME": h.root.appendingPathComponent("hf").path, "PATH": bin.path, "ANTHROPIC_API_KEY": ""]
        let r = try ptb(["doctor", "--json", "--model", "acme/absent-lm", "--agent", "claude-opus-4-6", "--gpus", "1",
                         "--backend", "slurm", "--runs-dir", h.runs.path, "--min-free-gb", "1000000"], home: h, env: env, timeout: 600)
        #expect(r.status == 1)
        let res = try results(r)
        func failed(_ check: String) -> DoctorResult? { res.first { $0.check == check && $0.status == .fail } }
        #expect(failed("sandbox")?.fix?.contains("apt-get install bubblewrap") == true, "\(res)")
        #expect(failed("gpu")?.detail.contains("no GPU") == true)
        #expect(failed("disk")?.fix?.contains("--runs-dir") == true)
        #expect(failed("hf-cache")?.fix == "ptb cache pull --model acme/absent-lm")
        let agent = try #require(failed("agent"))
        #expect(agent.detail.contains("not on PATH") && agent.detail.contains("ANTHROPIC_API_KEY"), "\(agent)")
        #expect(failed("scheduler")?.fix?.contains("scontrol ping") == true)
        for r in res where r.status == .fail { #expect(r.fix?.isEmpty == false, "\(r.check) has no fix") }
        // The text form: one line per check with its fix.
        let text = try ptb(["doctor", "--model", "acme/absent-lm", "--runs-dir", h.runs.path, "--min-free-gb", "1000000"], home: h, env: env, timeout: 600)
        #expect(text.stdout.contains("FAIL disk:") && text.stdout.contains("— fix:") && text.stdout.contains("check(s) failed"))
    }
}
