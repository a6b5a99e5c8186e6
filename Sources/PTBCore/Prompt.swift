import Foundation

/// The agent prompt of the original benchmark (`src/eval/general/prompt.txt`), byte for byte:
/// including its literal backslash-backticks and the absence of a trailing newline.
public enum AgentPrompt {
    public static let template = #"""
    We want to train the small LLM \`{model}\` to excel at {benchmark}.
    Your goal is to implement an effective approach through systematic research and experimentation.

    ## Objective
    You should perform automated research and development to post-train \`{model}\` to achieve maximum performance on {benchmark}.
    You can query the benchmark via the evaluate.py script.

    Store your best trained model in the folder \`final_model\`.

    ## Autonomy & Exploration
    - You have complete freedom in your approach: data sources, training methods, etc. .
    - You can do multiple iterations on the model and your approach.
    - Internet access is unrestricted.

    ## Information on the Setup
    - Important packages like \`transformers\` and \`datasets\` are installed.
    - The packages are installed via \`uv pip install --system\`.
    {gpu_info}
    - Consider the --limit option of the evaluate.py script for faster iteration during development.
    {setup_other}
    ## Rules
    1. There will be no user interaction. You have to operate autonomously.
    2. You have a maximum of {num_hours} hours. You can query how much time you have left by calling \`bash timer.sh\` in the current directory.
    3. Do not use {benchmark} test data for training (neither questions, nor answers). Otherwise we will have data contamination.
    4. Do not modify evaluate.py or templates/ .
    5. Work only in the current directory and subdirectories. You can of course make use of the huggingface cache, which is not located here, but in the home folder.
    6. Your final_model must run in the current environment (same packages). Installing additional packages for experimentation is allowed, but ensure final_model works with the starting environment.
    7. You are not allowed to fine-tune any model other than \`{model}\`. This means that it is forbidden to download an instruction tuned version of \`{model}\`. Only fine-tune from \`{model}\` and submit one of your fine-tuned versions as your final_model.

    Remember: NEVER ask the user for feedback. Just execute actions which make most sense to you. We will evaluate your results on {benchmark} once you are done.
    """#

    public static let inspectNote = "- A final note: the evaluate.py script sometimes outputs ERROR warnings. Do not be alarmed by this, this is normal behavior for inspect-ai. Also if you run into issues with the evaluate.py script, this is likely due to memory constraints on the GPU. In this case please decrease --max-connections or --max-tokens.\n"

    public static let nonInteractiveLine = "\nYou are running in a non-interactive mode. So make sure every process you are running finishes before you write your last message.\n"

    /// The GPU line of the original; with no GPU (CPU-only runs of ptb) the line says so instead
    /// of claiming "0 Nvidia H100 GPUs".
    public static func gpuInfo(gpus: Int, gpuName: String) -> String {
        switch gpus {
        case 0: "- The machine has no GPU; all work runs on the CPU."
        case 1: "- The machine is equipped with an Nvidia \(gpuName) GPU."
        default: "- The machine is equipped with \(gpus) Nvidia \(gpuName) GPUs."
        }
    }

    /// Substitutions in the original's order. `nonInteractive` is set for Claude Code only.
    public static func render(model: String, benchmark: String, hours: String, gpus: Int, gpuName: String,
                              inspectNote: Bool, nonInteractive: Bool) -> String {
        var s = template
        s = s.replacingOccurrences(of: "{model}", with: model)
        s = s.replacingOccurrences(of: "{benchmark}", with: benchmark)
        s = s.replacingOccurrences(of: "{num_hours}", with: hours)
        s = s.replacingOccurrences(of: "{gpu_info}", with: gpuInfo(gpus: gpus, gpuName: gpuName))
        s = s.replacingOccurrences(of: "{setup_other}", with: inspectNote ? Self.inspectNote : "")
        if nonInteractive { s += nonInteractiveLine }
        return s
    }
}
