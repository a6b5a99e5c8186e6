import Foundation

/// A base model a run can post-train, and the checkpoints an agent must not submit instead.
public struct ModelInfo: Sendable, Equatable {
    public let id: String
    /// Instruction-tuned counterparts (the disallowed shortcut of the seeds).
    public let instruct: [String]
    /// Built by ptb into PTB_HOME/models (no hub needed).
    public let local: Bool
    /// Chat template file (in the task's templates/) used to evaluate this family.
    public let template: String

    public var safeName: String { ModelCatalog.safe(id) }

    public init(id: String, instruct: [String], local: Bool, template: String) {
        self.id = id
        self.instruct = instruct
        self.local = local
        self.template = template
    }
}

public enum ModelCatalog {
    public static let all: [ModelInfo] = [
        ModelInfo(id: "tiny", instruct: [], local: true, template: "chatml.jinja"),
        ModelInfo(id: "Qwen/Qwen3-1.7B-Base", instruct: ["Qwen/Qwen3-1.7B"], local: false, template: "qwen3.jinja"),
        ModelInfo(id: "Qwen/Qwen3-4B-Base", instruct: ["Qwen/Qwen3-4B"], local: false, template: "qwen3.jinja"),
        ModelInfo(id: "HuggingFaceTB/SmolLM3-3B-Base", instruct: ["HuggingFaceTB/SmolLM3-3B"], local: false, template: "smollm.jinja"),
        ModelInfo(id: "google/gemma-3-4b-pt", instruct: ["google/gemma-3-4b-it"], local: false, template: "gemma3.jinja"),
    ]

    public static var ids: [String] { all.map(\.id) }

    public static func lookup(_ id: String) throws -> ModelInfo {
        if let m = all.first(where: { $0.id == id }) { return m }
        // An instruct counterpart can be evaluated too (zero-shot baselines, `ptb baseline
        // --instruct`); it uses its family's template and has no counterparts of its own.
        if let base = all.first(where: { $0.instruct.contains(id) }) {
            return ModelInfo(id: id, instruct: [], local: false, template: base.template)
        }
        throw PTBError.unknownChoice(kind: "model", value: id, valid: ids,
                                     hint: "Hub models must already be in the Hugging Face cache (HF_HOME).")
    }

    /// The original's `RESULT_PREFIX_SAFE`: `/ : [ ]` become `_`.
    public static func safe(_ s: String) -> String {
        String(s.map { "/:[]".contains($0) ? "_" : $0 })
    }

    /// Directory holding the weights of `model`: PTB_HOME/models for local ones, else the newest
    /// snapshot in the Hugging Face cache.
    public static func resolveDirectory(_ model: ModelInfo, home: PTBHome, env: [String: String]) throws -> URL {
        let fm = FileManager.default
        if model.local {
            let dir = home.models.appendingPathComponent(model.id)
            guard fm.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
                throw PTBError.missingSetup("model '\(model.id)' is not built yet (\(dir.path) has no config.json).")
            }
            return dir
        }
        let hf = env["HF_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: env["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache/huggingface")
        let snapshots = hf.appendingPathComponent("hub/models--\(model.id.replacingOccurrences(of: "/", with: "--"))/snapshots")
        let entries = (try? fm.contentsOfDirectory(at: snapshots, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        let newest = entries.max { a, b in
            let da = (try? a.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            let db = (try? b.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            return da < db
        }
        guard let newest, fm.fileExists(atPath: newest.appendingPathComponent("config.json").path) else {
            throw PTBError.invalidArgument("model '\(model.id)' is not in the Hugging Face cache at \(hf.path). Download it there (e.g. `huggingface-cli download \(model.id)`) or set HF_HOME.")
        }
        return newest
    }
}
