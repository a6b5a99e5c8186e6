import Foundation
import PTBCore

/// The fixed chat templates given to the agent (templates/) and used by evaluations: the
/// official instruct models' templates of the base families (Qwen3, Gemma 3, SmolLM3), shipped
/// as resources, and ChatML for models with neither a family template nor one of their own.
///
/// The family is read from the model directory's `config.json` (`architectures[0]`, then
/// `model_type`), never from the path: the original matched substrings of the path, so an
/// agent or method named e.g. "qwen3max" changed every model's template.
public enum ChatTemplates {
    static let chatml = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

    /// File name → template text.
    public static let all: [String: String] = {
        var out = ["chatml.jinja": chatml]
        for name in ["qwen3.jinja", "gemma3.jinja", "gemma3_tool_calling.jinja", "smollm.jinja"] {
            let stem = String(name.dropLast(6))
            if let url = Bundle.module.url(forResource: stem, withExtension: "jinja", subdirectory: "Templates"),
               let text = try? String(contentsOf: url, encoding: .utf8) {
                out[name] = text
            }
        }
        return out
    }()

    /// The family template for a `config.json`'s architecture or model type; nil for other families.
    public static func familyTemplate(architecture: String?, modelType: String?) -> String? {
        for key in [architecture, modelType].compactMap({ $0?.lowercased() }) {
            if key.hasPrefix("qwen3") || key.hasPrefix("qwen2") { return "qwen3.jinja" }
            if key.hasPrefix("gemma3") { return "gemma3.jinja" }
            if key.hasPrefix("smollm3") { return "smollm.jinja" }
        }
        return nil
    }

    /// The template to evaluate the model in `dir` with: its family's official instruct
    /// template; for other families nil when the model has its own template (the engine uses
    /// it), else ChatML. `toolCalling`: the task offers tools (BFCL), and a family whose official
    /// template ignores them gets the original's tool-calling variant.
    public static func file(forModelDir dir: URL, toolCalling: Bool = false) -> String? {
        let config = (try? Data(contentsOf: dir.appendingPathComponent("config.json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        let arch = (config["architectures"] as? [String])?.first
        if let t = familyTemplate(architecture: arch, modelType: config["model_type"] as? String) { return forTools(t, toolCalling) }
        return hasOwnTemplate(dir) ? nil : "chatml.jinja"
    }

    /// Gemma 3's official template has no tool handling: rendered with it, a BFCL prompt carries
    /// no function definitions and the Gemma × BFCL cell collapses. The original renders Gemma
    /// with its tool-calling template for BFCL; so does ptb (Qwen3 and SmolLM3 templates render
    /// tools themselves).
    static func forTools(_ name: String, _ toolCalling: Bool) -> String {
        toolCalling && name == "gemma3.jinja" ? "gemma3_tool_calling.jinja" : name
    }

    static func hasOwnTemplate(_ dir: URL) -> Bool {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("chat_template.jinja").path) { return true }
        guard let data = try? Data(contentsOf: dir.appendingPathComponent("tokenizer_config.json")),
              let tc = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return tc["chat_template"] != nil
    }

    /// A run's template: chosen from the base model's config (the agent cannot change it); the
    /// catalog's entry when the base has no family template but the catalog names one (tiny).
    static func file(for model: ModelInfo, baseDir: URL?, toolCalling: Bool = false) -> String? {
        // A catalog file's `chat_template:` is the user's decision for that model.
        if model.templatePinned { return all[model.template] == nil ? nil : forTools(model.template, toolCalling) }
        if let baseDir, let t = file(forModelDir: baseDir, toolCalling: toolCalling) { return t }
        return all[model.template] == nil ? nil : forTools(model.template, toolCalling)
    }

    /// Writes the template chosen for `modelDir` under `dir`/templates; nil when the model's
    /// own template is used.
    public static func write(forModelDir modelDir: URL, into dir: URL, toolCalling: Bool = false) throws -> URL? {
        guard let name = file(forModelDir: modelDir, toolCalling: toolCalling), let text = all[name] else { return nil }
        let url = dir.appendingPathComponent("templates/\(name)")
        try AtomicFile.write(text, to: url)
        return url
    }
}
