import Foundation
import PTBCore
import PTBTestSupport
import Testing
@testable import PTBRunner

@Suite struct ChatTemplateTests {
    func modelDir(_ config: String, ownTemplate: Bool = false) throws -> URL {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-tpl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try config.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        if ownTemplate { try "{{ messages }}".write(to: dir.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func familyComesFromConfigNeverFromThePath() throws {
        // The path names another family: only config.json counts.
        let cases: [(String, String?)] = [
            (#"{"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3"}"#, "qwen3.jinja"),
            (#"{"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3"}"#, "gemma3.jinja"),
            (#"{"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text"}"#, "gemma3.jinja"),
            (#"{"architectures": ["SmolLM3ForCausalLM"], "model_type": "smollm3"}"#, "smollm.jinja"),
            (#"{"model_type": "qwen3"}"#, "qwen3.jinja"),
            (#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}"#, "chatml.jinja"),
        ]
        for (config, expected) in cases {
            let dir = try modelDir(config)
            defer { try? FileManager.default.removeItem(at: dir) }
            let qwenNamed = dir.appendingPathComponent("qwen3max-smollm-gemma")
            try FileManager.default.createDirectory(at: qwenNamed, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: dir.appendingPathComponent("config.json"), to: qwenNamed.appendingPathComponent("config.json"))
            #expect(ChatTemplates.file(forModelDir: dir) == expected, "\(config)")
            #expect(ChatTemplates.file(forModelDir: qwenNamed) == expected, "\(config)")
            // Issue 16, item 1: a tool task (BFCL) renders Gemma with the tool-calling variant,
            // as the original does; the other families' templates render tools themselves.
            #expect(ChatTemplates.file(forModelDir: dir, toolCalling: true)
                    == (expected == "gemma3.jinja" ? "gemma3_tool_calling.jinja" : expected), "\(config)")
        }
        // Another family with a template of its own keeps it.
        let own = try modelDir(#"{"architectures": ["LlamaForCausalLM"]}"#, ownTemplate: true)
        defer { try? FileManager.default.removeItem(at: own) }
        #expect(ChatTemplates.file(forModelDir: own) == nil)
        #expect(try ChatTemplates.write(forModelDir: own, into: own) == nil)
    }

    @Test func shippedTemplatesAreTheOfficialOnes() {
        #expect(Set(ChatTemplates.all.keys) == ["chatml.jinja", "qwen3.jinja", "gemma3.jinja", "gemma3_tool_calling.jinja", "smollm.jinja"])
        #expect(ChatTemplates.all["qwen3.jinja"]?.contains("<tool_call>\\n{\\\"name\\\": <function-name>") == true)
        #expect(ChatTemplates.all["gemma3.jinja"]?.contains("Conversation roles must alternate user/assistant/user/assistant/...") == true)
        #expect(ChatTemplates.all["smollm.jinja"]?.contains("Knowledge Cutoff Date: June 2025") == true)
    }

    /// Rendered by transformers (the renderer vLLM uses) as the original's templates render (§2.11).
    @Test func templatesRenderAsTheOriginals() throws {
        guard let src = TestHome.realHome else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        let python = PTBHome(root: src).python
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-tpl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in ChatTemplates.all { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let script = """
            import json, sys
            from transformers.utils.chat_template_utils import render_jinja_template
            d = sys.argv[1]
            sys_user = [{"role": "system", "content": "SYS"}, {"role": "user", "content": "Hi"}]
            tools = [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}}]
            out = {}
            for name in ["qwen3", "gemma3", "smollm", "chatml"]:
                t = open(f"{d}/{name}.jinja").read()
                for label, msgs, tl in [("sys", sys_user, None), ("user", sys_user[1:], None), ("tools", sys_user, tools)]:
                    r = render_jinja_template(conversations=[msgs], tools=tl, chat_template=t, add_generation_prompt=True, bos_token="<bos>")
                    out[f"{name}/{label}"] = r[0][0]
            print(json.dumps(out))
            """
        let p = Process()
        p.executableURL = python
        p.arguments = ["-c", script, dir.path]
        p.environment = ["PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(r["qwen3/sys"] == "<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(r["qwen3/user"] == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(r["qwen3/tools"]?.hasPrefix("<|im_start|>system\nSYS\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"f\"") == true)
        #expect(r["qwen3/tools"]?.hasSuffix("</tool_call><|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n") == true)
        #expect(r["gemma3/sys"] == "<bos><start_of_turn>user\nSYS\n\nHi<end_of_turn>\n<start_of_turn>model\n")
        #expect(r["gemma3/user"] == "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n")
        let smol = try #require(r["smollm/sys"])
        #expect(smol.hasPrefix("<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: "))
        // The official quirk: no <|im_end|> after the system header unless tools are given.
        #expect(smol.hasSuffix("Reasoning Mode: /think\n\n## Custom Instructions\n\nSYS\n\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"))
        #expect(r["smollm/user"]?.contains("You are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant") == true)
        #expect(r["smollm/tools"]?.contains("<tools>\n{'type': 'function', 'function': {'name': 'f'") == true)
        #expect(r["smollm/tools"]?.contains("</tool_call>\n\n<|im_end|>\n<|im_start|>user\nHi") == true)
        #expect(r["chatml/sys"] == "<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    /// ptb's gemma3_tool_calling.jinja renders exactly what the original's does (golden renderings
    /// of the original's template, Golden/gemma3-tool-calling-renderings.json), and every
    /// tool-task template puts the function definitions into the prompt.
    @Test func toolTemplatesRenderTheFunctionsAsTheOriginal() throws {
        guard let src = TestHome.realHome else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/gemma3-tool-calling-renderings.json")
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-tpl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in ChatTemplates.all { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let script = """
            import json, sys
            from transformers.utils.chat_template_utils import render_jinja_template
            d, g = sys.argv[1], json.load(open(sys.argv[2]))
            out = {}
            for name in ["gemma3_tool_calling", "qwen3", "smollm"]:
                t = open(f"{d}/{name}.jinja").read()
                for k, c in g["cases"].items():
                    if name != "gemma3_tool_calling" and not c["tools"]: continue
                    try:
                        out[f"{name}/{k}"] = render_jinja_template(conversations=[c["messages"]], tools=c["tools"], chat_template=t,
                                                                   add_generation_prompt=True, bos_token="<bos>")[0][0]
                    except Exception as e:
                        out[f"{name}/{k}"] = f"error: {e}"
            print(json.dumps(out))
            """
        let p = Process()
        p.executableURL = PTBHome(root: src).python
        p.arguments = ["-c", script, dir.path, golden.path]
        p.environment = ["PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        let g = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: golden)) as? [String: Any])
        let expected = try #require(g["expected"] as? [String: String])
        #expect(expected.count == 6)
        for (k, want) in expected { #expect(r["gemma3_tool_calling/\(k)"] == want, "\(k)") }
        // Every family's BFCL prompt names the functions (gemma3.jinja alone would not).
        for name in ["gemma3_tool_calling", "qwen3", "smollm"] {
            #expect(r["\(name)/tools-user"]?.contains("calc_area") == true, "\(name): \(r["\(name)/tools-user"] ?? "-")")
        }
    }
}
