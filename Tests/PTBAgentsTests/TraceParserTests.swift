import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBTestSupport
import Testing

@Suite struct TraceParserTests {
    func convert(_ lines: [String], scaffold: Scaffold? = nil, model: String? = nil) throws -> ([TraceEvent], TraceSummary, String) {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let url = try s.write(TraceFixtures.trace(lines), "trace.jsonl")
        let out = s.url.appendingPathComponent("events.jsonl")
        let summary = try TraceConverter.writeEvents(trace: url, to: out, scaffold: scaffold, model: model)
        let (events, again) = try TraceConverter.convert(trace: url, scaffold: scaffold, model: model)
        #expect(summary == again)
        let written = try String(contentsOf: out, encoding: .utf8)
        #expect(written.split(separator: "\n").count == events.count)
        return (events, summary, TraceRenderer().render(events, summary: summary))
    }

    func kinds(_ e: [TraceEvent]) -> [String] { e.map(\.kind.rawValue) }

    @Test func claudeStreamJson() throws {
        let (events, summary, text) = try convert(TraceFixtures.claude)
        #expect(kinds(events) == ["harness", "session_start", "reasoning", "tool_call", "tool_result", "assistant_text", "final_result",
                                  "usage", "output", "harness"])
        #expect(events[3].tool == "Bash" && events[3].input == "nvidia-smi -L" && events[4].tool == "Bash")
        #expect(summary.scaffold == "claude-code" && summary.model == "claude-opus-4-6")
        // The result's usage, not the per-block repeats: 15 + 2100 + 2000 input, 2000 cached.
        #expect(summary.usage == TokenUsage(input: 4115, cached: 2000, output: 52))
        #expect(summary.reportedCostUSD == 0.0712)
        #expect(text == """
            [2026-11-22T10:00:00Z] PTB start: attempt 1; sandbox bwrap
            [2026-11-22T10:00:01Z] SESSION 5f1c model claude-opus-4-6
                tools: Bash, Read, Write
                cwd: /home/ben/task
            [2026-11-22T10:00:02Z] REASONING
                Check the GPU first.
            [2026-11-22T10:00:03Z] TOOL CALL Bash (toolu_1)
                $ nvidia-smi -L
            [2026-11-22T10:00:04Z] TOOL RESULT Bash (toolu_1) ok
                GPU 0: NVIDIA H100 80GB HBM3
            [2026-11-22T10:00:05Z] ASSISTANT
                One H100. Training now.
            [2026-11-22T10:00:06Z] RESULT result/success cost $0.0712
                One H100. Training now.
            [2026-11-22T10:00:06Z] USAGE input 4,115 (cached 2,000), output 52 (reasoning 0), $0.0712
            [2026-11-22T10:00:07Z] | Warning: stray plain line
            [2026-11-22T10:01:00Z] PTB exit: normal after 60 s (exit 0)
            ---
            scaffold: claude-code, model claude-opus-4-6
            events: 10 (tool calls 1, errors 0, unknown 0)
            tokens: input 4,115 (cached 2,000), output 52 (reasoning 0)
            cost: $0.0712 (reported by the CLI)

            """)
    }

    @Test func claudeKilledBeforeResultCountsEachMessageOnce() throws {
        let (events, summary, _) = try convert(Array(TraceFixtures.claude.prefix(5)))
        #expect(events.last?.kind == .usage && events.last?.source == "assistant messages (no result event)")
        #expect(summary.usage == TokenUsage(input: 2010 + 2105, cached: 2000, output: 52))
        #expect(summary.reportedCostUSD == nil)
        #expect(summary.estimatedCostUSD != nil, "Opus is in the price table")
    }

    @Test func codexExecJson() throws {
        let (events, summary, text) = try convert(TraceFixtures.codex, model: "gpt-5.2")
        #expect(kinds(events) == ["harness", "session_start", "other", "reasoning", "tool_call", "tool_result", "tool_result", "assistant_text",
                                  "usage", "other", "error", "harness"])
        #expect(events[5].isError == true && events[5].text == "step 100 loss 1.23\n[exit 1]")
        #expect(events[6].text == "update /home/ben/task/train.py")
        #expect(events[9].raw?.contains("todo_list") == true, "unknown item types are kept")
        #expect(summary.usage == TokenUsage(input: 24763, cached: 24448, output: 122))
        let est = try #require(summary.estimatedCostUSD)
        #expect(abs(est - (315 * 1.75 + 24448 * 0.175 + 122 * 14) / 1e6) < 1e-12)
        #expect(text.contains("TOOL RESULT shell (item_1) error\n    $ bash -lc 'python train.py'\n    step 100 loss 1.23\n    [exit 1]"))
        #expect(text.contains("cost: ~$0.0065 (estimated from list prices)"))
    }

    /// Codex 0.163.0 restates a resumed thread's earlier usage in `turn.completed` (seen with the
    /// real binary: 300 after the first exec, 1500 after `exec resume --last` whose own calls used 1200).
    @Test func codexResumedThreadUsageIsCountedOnce() throws {
        let (_, summary, _) = try convert([
            #"{"type":"thread.started","thread_id":"t1"}"#,
            #"{"type":"turn.completed","usage":{"input_tokens":300,"cached_input_tokens":0,"output_tokens":3,"reasoning_output_tokens":0}}"#,
            #"{"type":"ptb.reprompt","round":1,"remaining":"0:20"}"#,
            #"{"type":"thread.started","thread_id":"t1"}"#,
            #"{"type":"turn.completed","usage":{"input_tokens":1500,"cached_input_tokens":0,"output_tokens":15,"reasoning_output_tokens":0}}"#,
        ], scaffold: .codex, model: "gpt-5.2")
        #expect(summary.usage == TokenUsage(input: 1500, cached: 0, output: 15))
    }

    @Test func codexLegacyMessages() throws {
        let (events, summary, _) = try convert([
            #"{"id":"0","msg":{"type":"task_started","model_context_window":272000}}"#,
            #"{"id":"0","msg":{"type":"agent_reasoning","text":"Plan"}}"#,
            #"{"id":"0","msg":{"type":"exec_command_begin","call_id":"c1","command":["bash","-lc","ls"],"cwd":"/home/ben/task"}}"#,
            #"{"id":"0","msg":{"type":"exec_command_end","call_id":"c1","stdout":"timer.sh","stderr":"","exit_code":0}}"#,
            #"{"id":"0","msg":{"type":"token_count","info":{"total_token_usage":{"input_tokens":900,"output_tokens":90},"last_token_usage":{"input_tokens":500,"cached_input_tokens":100,"output_tokens":50,"reasoning_output_tokens":10}}}}"#,
            #"{"id":"0","msg":{"type":"agent_message","message":"Done."}}"#,
        ])
        #expect(kinds(events) == ["harness", "other", "reasoning", "tool_call", "tool_result", "usage", "assistant_text", "harness"])
        #expect(events[3].input == "bash -lc ls" && events[4].text == "timer.sh\n[exit 0]")
        #expect(summary.scaffold == "codex" && summary.usage == TokenUsage(input: 500, cached: 100, output: 50, reasoning: 10))
    }

    @Test func geminiStreamJsonMergesDeltas() throws {
        let (events, summary, text) = try convert(TraceFixtures.gemini)
        #expect(kinds(events) == ["harness", "session_start", "other", "assistant_text", "tool_call", "tool_result", "error", "final_result",
                                  "usage", "harness"])
        #expect(events[3].text == "I will list the files." && events[3].ts == "2026-11-22T10:00:03Z")
        #expect(events[4].input == "ls" && events[5].tool == "run_shell_command")
        #expect(summary.usage == TokenUsage(input: 15800, cached: 9000, output: 215))
        #expect(summary.model == "gemini-3-pro-preview" && summary.estimatedCostUSD != nil)
        #expect(text.contains("ERROR\n    warning: Loop detected, stopping."))
    }

    @Test func openCodeJson() throws {
        let (events, summary, text) = try convert(TraceFixtures.opencode, model: "zai/glm-5")
        #expect(kinds(events) == ["harness", "other", "assistant_text", "tool_call", "tool_result", "tool_call", "tool_result", "usage", "error",
                                  "other", "harness"])
        #expect(events[3].input == "bash timer.sh" && events[4].text == "Remaining time (hours:minutes):\n9:58")
        #expect(events[6].isError == true && events[6].text == "File not found: /nope")
        #expect(summary.usage == TokenUsage(input: 4200, cached: 3000, output: 100, reasoning: 20))
        #expect(summary.reportedCostUSD == 0.0031 && summary.unknown == 2)
        #expect(text.contains("ERROR\n    APIError: Rate limit exceeded"))
    }

    @Test func repromptMarkerAndPlainTextAgents() throws {
        let (events, summary, _) = try convert(["training…", #"{"type":"ptb.reprompt","round":1,"remaining":"2:05"}"#, #"{"weird":1}"#])
        #expect(kinds(events) == ["harness", "output", "harness", "other", "harness"])
        #expect(events[2].text == "round 1, 2:05 remaining")
        #expect(events[3].raw == #"{"weird":1}"#)
        #expect(summary.scaffold == nil && summary.usage.isZero)
    }

    @Test func detection() {
        func d(_ s: String) -> Scaffold? { JSONValue.object(line: s).flatMap(TraceConverter.detect) }
        #expect(d(TraceFixtures.claude[0]) == .claudeCode)
        #expect(d(TraceFixtures.codex[0]) == .codex)
        #expect(d(TraceFixtures.gemini[0]) == .gemini)
        #expect(d(TraceFixtures.opencode[0]) == .opencode)
    }
}

@Suite struct RedactorTests {
    @Test func redactsSecretVariablesAndCredentialFiles() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let auth = try s.write(#"{"OPENAI_API_KEY":null,"tokens":{"access_token":"eyJhbGciOi.access/part","refresh_token":"rt_0123456789"}}"#, "auth.json")
        let r = Redactor(environment: ["ANTHROPIC_API_KEY": "sk-ant-api03-abcdef", "CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat01-xyz123",
                                       "HF_TOKEN": "hf_abcdefgh", "MY_SECRET": "s3cr3t-value", "SHORT_TOKEN": "1", "PATH": "/usr/bin:/bin-long"],
                         files: [auth])
        #expect(r.redact("key=sk-ant-api03-abcdef and sk-ant-oat01-xyz123!") == "key=[REDACTED:ANTHROPIC_API_KEY] and [REDACTED:CLAUDE_CODE_OAUTH_TOKEN]!")
        #expect(r.redact("hf_abcdefgh s3cr3t-value") == "[REDACTED:HF_TOKEN] [REDACTED:MY_SECRET]")
        #expect(r.redact("token 1 and /usr/bin:/bin-long stay") == "token 1 and /usr/bin:/bin-long stay", "short values and non-secret names are kept")
        #expect(r.redact(#"{"line":"cat auth: eyJhbGciOi.access\/part rt_0123456789"}"#)
            == #"{"line":"cat auth: [REDACTED:auth.json] [REDACTED:auth.json]"}"#, "JSON-escaped forms too")
        #expect(r.redact(lines: ["a", "sk-ant-api03-abcdef"]) == ["a", "[REDACTED:ANTHROPIC_API_KEY]"])
    }

    @Test func secretNames() {
        for n in ["OPENAI_API_KEY", "CODEX_API_KEY", "GITHUB_TOKEN", "AWS_SECRET", "CLAUDE_CODE_OAUTH_TOKEN", "zai_api_key"] {
            #expect(Redactor.isSecretName(n), "\(n)")
        }
        for n in ["PATH", "HOME", "TOKENIZERS_PARALLELISM", "PROMPT"] { #expect(!Redactor.isSecretName(n), "\(n)") }
    }

    @Test func agentRedactorIncludesSubscriptionFiles() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        _ = try s.write("oat-TOKEN-123456\n", "home/credentials/claude_oauth_token")
        let a = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: m\nauth: subscription\n"), host: fakeHost)
        let cmd = try a.command(s.context(), prompt: "P")
        let r = a.redactor(environment: cmd.environment, home: s.home)
        #expect(r.redact("oat-TOKEN-123456") == "[REDACTED:CLAUDE_CODE_OAUTH_TOKEN]")
    }
}

/// usage.json: camelCase keys as every JSON ptb writes; files from before still decode.
@Suite struct UsageFileKeysTests {
    @Test func writesCamelCaseAndReadsTheOldSnakeCase() throws {
        let s = TraceSummary(scaffold: "claude-code", model: "m", usage: TokenUsage(input: 10, output: 2), reportedCostUSD: 0.5,
                             estimatedCostUSD: nil, toolCalls: 3, errors: 1, events: 9, unknown: 0, lastError: "rate limited")
        let text = String(decoding: try JSONIO.encode(s), as: UTF8.self)
        #expect(text.contains("\"reportedCostUSD\"") && text.contains("\"toolCalls\"") && text.contains("\"lastError\""))
        #expect(!text.contains("_"), "\(text)")
        #expect(try JSONDecoder().decode(TraceSummary.self, from: Data(text.utf8)) == s)
        let old = #"{"scaffold": "claude-code", "model": "m", "usage": {"input": 10, "cached": 0, "output": 2, "reasoning": 0}, "reported_cost_usd": 0.5, "tool_calls": 3, "errors": 1, "events": 9, "unknown": 0, "last_error": "rate limited"}"#
        #expect(try JSONDecoder().decode(TraceSummary.self, from: Data(old.utf8)) == s)
    }
}
