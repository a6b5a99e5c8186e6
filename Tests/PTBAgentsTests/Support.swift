import Foundation
import PTBAgents
import PTBCore

/// A scratch run directory under /var/tmp (the sandbox tests keep /tmp private).
struct Scratch {
    let root: URL
    let home: PTBHome
    let paths: RunPaths

    init() throws {
        root = URL(fileURLWithPath: "/var/tmp/ptb-agents-\(UUID().uuidString.prefix(8))")
        home = PTBHome(root: root.appendingPathComponent("home"))
        paths = RunPaths(dir: root.appendingPathComponent("runs/r1"))
        try FileManager.default.createDirectory(at: paths.task, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home.agents, withIntermediateDirectories: true)
    }

    func context(gpus: Int = 0) -> AgentContext {
        AgentContext(spec: RunSpec(task: "gsm8k", model: "Qwen/Qwen3-1.7B-Base", agent: "x", gpus: gpus), paths: paths, home: home,
                     baseModelDir: root.appendingPathComponent("base"),
                     environment: ["HOME": paths.workspace.path, "PATH": "/env/bin:/usr/bin:/bin"])
    }

    func write(_ text: String, _ rel: String) throws -> URL {
        let url = root.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// A host environment with every key a scaffold might read, so a leak shows up in the goldens.
let fakeHost: [String: String] = [
    "ANTHROPIC_API_KEY": "sk-ant-HOST", "OPENAI_API_KEY": "sk-openai-HOST", "GEMINI_API_KEY": "gm-HOST",
    "OPENCODE_API_KEY": "oc-HOST", "ZAI_API_KEY": "zai-HOST", "HF_TOKEN": "hf-HOST", "SHELL": "/bin/zsh",
]

func config(_ yaml: String) throws -> AgentConfig { try AgentConfig.parse(yaml, path: "test.yaml", baseDir: nil) }
