import Foundation
import PTBAgents
import PTBCore
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The web trace page of runs made by the real Claude Code and Codex binaries, loaded in headless
/// Chromium from `ptb serve`: the CLI's tool call (its command), the command's real output, the
/// final message, the token usage, and the credential the server echoed shown only redacted.
/// Each run is cheap: a tool call and a message, no final_model, no evaluation.
@Suite(.serialized) struct RealAgentTraceBrowserTests {
    static let chromium = Chromium.path

    /// `ptb serve --port 0` on the test home's runs; the address it prints.
    static func serve(_ h: TestHome) throws -> (Process, String) {
        try Chromium.startServe(ptbBinary, ["serve", "--port", "0", "--runs-dir", h.runs.path, "--home", h.home.root.path, "--bootstrap", "0"])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var cli: String
        var yaml: String
        var keyVariable: String
        /// How the unified events name the shell tool of this CLI.
        var tool: String
        /// The name the echoed credential is redacted as (the variable the CLI was given).
        var redactedAs: String
        var testDescription: String { cli }
    }

    static let cases = [
        Case(cli: "claude-code", yaml: "name: trace-claude\nscaffold: claude-code\nmodel: claude-opus-4-6\nbase_url: BASE_URL\n",
             keyVariable: "ANTHROPIC_API_KEY", tool: "Bash", redactedAs: "ANTHROPIC_API_KEY"),
        Case(cli: "codex", yaml: "name: trace-codex\nscaffold: codex\nmodel: gpt-5.1-codex\nbase_url: BASE_URL\n",
             keyVariable: "OPENAI_API_KEY", tool: "shell", redactedAs: "CODEX_API_KEY"),
    ]

    @Test(arguments: cases)
    func theTracePageOfARealCLIRunRendersInChromium(_ c: Case) throws {
        guard let chromium = Self.chromium else { try Integration.skip("chromium is required in CI (apt-get install chromium)") }
        let real = RealAgentTests()
        let h = try real.home()
        defer { h.cleanup() }
        let key = "ptb-test-\(c.cli)-key-\(UUID().uuidString)"
        let marker = "trace-page-marker-\(UUID().uuidString.prefix(8))"
        let name = c.cli == "codex" ? "trace-codex" : "trace-claude"
        guard let o = try real.run(h, agent: name, yaml: c.yaml, turns: [
            ["shell": "echo \(marker) && bash timer.sh", "usage": ["input": 1500, "output": 25]],
            ["text": "All done <b>here</b>. The server saw {auth}", "usage": ["input": 1700, "output": 30]],
        ], env: [c.keyVariable: key]) else { return }
        #expect(o.manifest.exit == .normal, "\(String(describing: o.manifest.exit)) \(o.console.stderr.suffix(2000))")

        let (server, base) = try Self.serve(h)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let profile = h.root.appendingPathComponent("chromium-profile")
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(profile.path)",
                     "--virtual-time-budget=3000", "--dump-dom"]
        let id = o.paths.id
        let events = try Chromium.capture(chromium, flags + [base + "/run/\(id)/trace"])
        let raw = try Chromium.capture(chromium, flags + [base + "/run/\(id)/trace?file=trace"])
        let runPage = try Chromium.capture(chromium, flags + [base + "/run/\(id)"])
        for (page, dom) in [("events", events), ("raw", raw), ("run", runPage)] {
            #expect(dom.contains("</html>"), "\(page): Chromium rendered the page")
            #expect(!dom.contains(key), "\(page): the key is not on the page")
        }
        // The unified events: the CLI's tool call with its command, the command's real output,
        // the final message (its markup escaped), the key redacted, the tokens.
        #expect(events.contains("events.jsonl (unified)"))
        #expect(events.contains("⚙ <b>\(c.tool)</b>") && events.contains("echo \(marker)"), "tool call: \(Self.excerpt(events, marker))")
        #expect(events.range(of: #"↳ result \(\d+ chars\) [^<]*"# + marker, options: .regularExpression) != nil,
                "tool result with the command's output: \(Self.excerpt(events, "↳ result"))")
        #expect(events.contains("All done &lt;b&gt;here&lt;/b&gt;. The server saw [REDACTED:\(c.redactedAs)]</pre>"), "message: \(Self.excerpt(events, "All done"))")
        #expect(events.contains("tokens: input"), "usage lines")
        // The raw trace: the CLI's own stream lines and ptb's harness lines, redacted too.
        #expect(raw.contains("trace.jsonl (raw)") && raw.contains("ptb: <b>exit</b>"))
        #expect(raw.contains(marker) && raw.contains("[REDACTED:\(c.redactedAs)]"))
        #expect(runPage.contains(id))
    }

    static func excerpt(_ dom: String, _ needle: String) -> String {
        guard let r = dom.range(of: needle) else { return String(dom.suffix(1500)) }
        let start = dom.index(r.lowerBound, offsetBy: -300, limitedBy: dom.startIndex) ?? dom.startIndex
        let end = dom.index(r.upperBound, offsetBy: 300, limitedBy: dom.endIndex) ?? dom.endIndex
        return String(dom[start..<end])
    }
}
