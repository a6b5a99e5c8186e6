import Foundation
import PTBAgents
import PTBCore
import PTBTestSupport

extension Scratch {
    /// A scratch with a run (`runs/r1`, its task directory made) and a home whose agents
    /// directory exists: what the scaffolds read and write.
    static func agentRun() throws -> Scratch {
        let s = try Scratch(prefix: "ptb-agents")
        try FileManager.default.createDirectory(at: s.paths.task, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: s.home.agents, withIntermediateDirectories: true)
        return s
    }

    var paths: RunPaths { RunPaths(dir: url.appendingPathComponent("runs/r1")) }

    func context(gpus: Int = 0) -> AgentContext {
        AgentContext(spec: RunSpec(task: "gsm8k", model: "Qwen/Qwen3-1.7B-Base", agent: "x", gpus: gpus), paths: paths, home: home,
                     baseModelDir: url.appendingPathComponent("base"),
                     environment: ["HOME": paths.workspace.path, "PATH": "/env/bin:/usr/bin:/bin"])
    }
}

/// A host environment with every key a scaffold might read, so a leak shows up in the goldens.
let fakeHost: [String: String] = [
    "ANTHROPIC_API_KEY": "sk-ant-HOST", "OPENAI_API_KEY": "sk-openai-HOST", "GEMINI_API_KEY": "gm-HOST",
    "OPENCODE_API_KEY": "oc-HOST", "ZAI_API_KEY": "zai-HOST", "HF_TOKEN": "hf-HOST", "SHELL": "/bin/zsh",
]

func config(_ yaml: String) throws -> AgentConfig { try AgentConfig.parse(yaml, path: "test.yaml", baseDir: nil) }
