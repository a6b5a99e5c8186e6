import Foundation
import PTBAgents
import PTBCore
import PTBTestSupport
import Testing

/// The real Claude Code binary, installed into an image by the agent image's own recipe step
/// (containers/install-agent-clis.sh: the pinned wheel, hash-checked), runs a whole `ptb run` in
/// the podman sandbox against the scripted model server. The image is built here without a
/// registry (scripts/podman-agent-image.sh: a skeleton base whose /usr is the host's, mounted
/// read-only); the host's own CLI install is not linked in, so only the image's can run.
/// Needs root and PTB_PODMAN_LIVE=1 (scripts/test.sh sets it as root).
@Suite(.serialized) struct RealAgentPodmanTests {
    static let env = ProcessInfo.processInfo.environment
    /// Tagged with the pinned version: a new pin builds a new image instead of reusing a stale one.
    static let image = env["PTB_PODMAN_AGENT_IMAGE"] ?? "localhost/ptb-agent-clis:claude-\(AgentBinaries.pin(.claudeCode)?.cliVersion ?? "none")"
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where a container on podman's default bridge reaches the host.
    static func gateway() -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return "10.88.0.1" }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        p.waitUntilExit()
        return text.isEmpty ? "10.88.0.1" : text
    }

    func buildImage(wheels: URL) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.repo.appendingPathComponent("scripts/podman-agent-image.sh").path, Self.image, wheels.path, "claude-code"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "scripts/podman-agent-image.sh failed")
    }

    @Test func claudeCodeFromTheImageRunsAWholeRunInPodman() throws {
        try Integration.requireOptIn("PTB_PODMAN_LIVE", "a whole run in podman")
        guard TestHome.realHome != nil, let agents = RealAgentHome.root else { try Integration.skip("PTB_TEST_HOME must be a `ptb setup` home with `ptb setup --agents claude-code,codex` done") }
        let started = Date()
        try buildImage(wheels: agents.appendingPathComponent("cache/wheels"))
        print("[RealAgentPodmanTests] image ready after \(Int(Date().timeIntervalSince(started))) s")
        let h = try TestHome(real: true)
        defer { h.cleanup() }
        let pin = try #require(AgentBinaries.pin(.claudeCode))
        let inImage = "/opt/ptb/agents/\(pin.installName)/\(pin.cliVersion)/\(pin.executable)"
        let gw = Self.gateway()
        let turns: [[String: Any]] = [
            ["shell": "bash timer.sh && readlink -f \"$(command -v claude)\"", "usage": ["input": 1000, "output": 20]],
            ["shell": "echo made-in-podman > notes.txt && cat notes.txt", "usage": ["input": 1100, "output": 15]],
            ["text": "Done in the container. The server saw {auth}", "usage": ["input": 1200, "output": 12]],
        ]
        // Listens beyond loopback: the container's loopback is its own.
        let server = try ScriptedModelServer(dir: h.root.appendingPathComponent("server"), turns: turns, host: "0.0.0.0")
        defer { server.stop() }
        let base = "http://\(gw):\(server.port)"
        try FileManager.default.createDirectory(at: h.home.agents, withIntermediateDirectories: true)
        try """
            name: real-claude-podman
            scaffold: claude-code
            model: claude-opus-4-6
            base_url: \(base)
            env: {HTTPS_PROXY: "\(base)", HTTP_PROXY: "\(base)", https_proxy: "\(base)", NO_PROXY: "\(gw),127.0.0.1,localhost", no_proxy: "\(gw),127.0.0.1,localhost", CLAUDE_CODE_MAX_RETRIES: "1"}
            """.write(to: h.home.agents.appendingPathComponent("real-claude-podman.yaml"), atomically: true, encoding: .utf8)
        let key = "ptb-test-anthropic-key-\(UUID().uuidString)"
        let runStart = Date()
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "real-claude-podman", "--sandbox", "podman", "--network", "open",
                         "--skip-base", "--no-judge", "--hours", "0.2", "--runs-dir", h.runs.path], home: h,
                        env: ["ANTHROPIC_API_KEY": key, "PTB_PODMAN_IMAGE": Self.image, "PTB_PODMAN_ARGS": "-v /usr:/usr:ro"], timeout: 600)
        print("[RealAgentPodmanTests] ptb run took \(Int(Date().timeIntervalSince(runStart))) s")
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        let (paths, m) = try h.onlyRun()
        #expect(m.exit == .normal, "\(String(describing: m.exit)) \(r.stderr.suffix(2000))")
        let events = ((try? String(contentsOf: paths.events, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONDecoder().decode(TraceEvent.self, from: Data($0.utf8)) }
        // The CLI that ran is the image's: its path exists in the image only.
        #expect(!FileManager.default.fileExists(atPath: inImage), "this host has no \(inImage): the test cannot tell image from host")
        #expect(events.contains { $0.kind == .toolResult && ($0.text ?? "").contains(inImage) },
                "\(events.filter { $0.kind == .toolResult }.map { $0.text ?? "" })")
        #expect(events.contains { $0.kind == .toolCall && ($0.input ?? "").contains("bash timer.sh") })
        #expect(try String(contentsOf: paths.task.appendingPathComponent("notes.txt"), encoding: .utf8) == "made-in-podman\n",
                "the workspace is the container's working directory, written through")
        let posts = try server.requests().filter { $0.method == "POST" }
        #expect(posts.count >= turns.count)
        #expect(posts.allSatisfy { $0.path == "/v1/messages?beta=true" && $0.headers["x-api-key"] == key })
        #expect(!(try server.requests()).contains { $0.method == "CONNECT" }, "no other host")
        let summary = try JSONIO.read(TraceSummary.self, from: paths.usage)
        #expect(summary.usage.input == 3300 && summary.usage.output == 47, "\(summary.usage)")
        // The key the server echoed is redacted from every stored file and from the console.
        #expect(!r.stdout.contains(key) && !r.stderr.contains(key))
        let files = FileManager.default.enumerator(at: paths.dir, includingPropertiesForKeys: [.isRegularFileKey])!
            .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        for f in files { #expect((try? Data(contentsOf: f))?.range(of: Data(key.utf8)) == nil, "key found in \(f.path)") }
        #expect(try String(contentsOf: paths.trace, encoding: .utf8).contains("The server saw [REDACTED:ANTHROPIC_API_KEY]"))
    }
}
