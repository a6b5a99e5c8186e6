import Foundation
import PTBCore
import PTBProcess

/// The scripted baseline: generates its own training data (never the test split), fine-tunes
/// the base model with transformers/torch, watches `timer.sh`, and saves `final_model`.
public struct ReferenceAgent: AgentAdapter {
    public let name = "reference"
    public let nonInteractivePromptLine = false
    public var maxSteps: Int?

    public init(maxSteps: Int? = nil) { self.maxSteps = maxSteps }

    public func prepare(_ context: AgentContext) throws {
        _ = try AgentResources.install("reference_agent", into: context.paths.workspace, as: "agent_solve.py")
    }

    public func command(_ context: AgentContext, prompt: String) throws -> Command {
        var env = context.environment
        env["PTB_REFERENCE_SEED"] = String(context.spec.seed)
        if let maxSteps { env["PTB_REFERENCE_MAX_STEPS"] = String(maxSteps) }
        for k in ["PTB_REFERENCE_MAX_STEPS", "PTB_REFERENCE_EVAL_LIMIT", "PTB_REFERENCE_PROCS"] where env[k] == nil {
            if let v = ProcessInfo.processInfo.environment[k] { env[k] = v }
        }
        return Command("python", ["-u", context.paths.workspace.appendingPathComponent("agent_solve.py").path], environment: env)
    }
}

/// Submits the base model unchanged: zero-shot baselines, and pipeline tests.
public struct NoneAgent: AgentAdapter {
    public let name = "none"
    public let nonInteractivePromptLine = false
    public init() {}
    public func prepare(_ context: AgentContext) throws {}
    public func command(_ context: AgentContext, prompt: String) throws -> Command {
        Command("cp", ["-rL", context.baseModelDir.path, "final_model"], environment: context.environment)
    }
}
