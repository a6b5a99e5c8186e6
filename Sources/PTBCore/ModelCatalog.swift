import Foundation
import Yams

/// A base model a run can post-train, and the checkpoints an agent must not submit instead.
public struct ModelInfo: Sendable, Equatable {
    /// What `--model` said: a catalog id, a Hugging Face id, or an absolute local directory.
    public let id: String
    /// Instruction-tuned counterparts (the disallowed shortcut of the seeds); the provenance check
    /// compares against them and the trace rules and judge treat them as forbidden.
    public let instruct: [String]
    /// Built by ptb into PTB_HOME/models (no hub needed).
    public let local: Bool
    /// Chat template file (in the task's templates/) used to evaluate this family; "" = the
    /// model's own (or the family detected from its config.json).
    public let template: String
    /// Set by a catalog file: the template wins over the one detected from config.json.
    public let templatePinned: Bool
    /// Name for tables; the id's last part when the catalog gives none.
    public let displayName: String
    /// Hugging Face revision (branch, tag or commit); nil = `main`.
    public let revision: String?
    /// A local directory holding the weights (`--model /path` or a catalog entry's `path:`).
    public let path: String?

    public var safeName: String { ModelCatalog.safe(id) }

    public init(id: String, instruct: [String], local: Bool, template: String, templatePinned: Bool = false,
                displayName: String? = nil, revision: String? = nil, path: String? = nil) {
        self.id = id
        self.instruct = instruct
        self.local = local
        self.template = template
        self.templatePinned = templatePinned
        self.displayName = displayName ?? (id.split(separator: "/").last.map(String.init) ?? id)
        self.revision = revision
        self.path = path
    }

    /// The same model at another revision.
    public func at(revision: String?) -> ModelInfo {
        guard let revision else { return self }
        return ModelInfo(id: id, instruct: instruct, local: local, template: template, templatePinned: templatePinned,
                         displayName: displayName, revision: revision, path: path)
    }
}

/// The models ptb knows by name: the four paper models and `tiny` built in, extended (or
/// overridden, entry by entry) by `$PTB_HOME/models.yaml`. Any other Hugging Face id or a local
/// directory also works as a base model; the catalog only adds what cannot be read from the
/// weights: instruct counterparts, a pinned chat template, a display name.
///
/// ```yaml
/// models:
///   - id: meta-llama/Llama-3.2-1B
///     instruct: [meta-llama/Llama-3.2-1B-Instruct]
///     chat_template: chatml          # qwen3, gemma3, smollm, chatml, or own (the model's own)
///     display_name: Llama 3.2 1B
///     revision: main                 # optional default revision
///     path: /shared/models/llama-1b  # optional: weights in a local directory
/// ```
public struct ModelCatalog: Sendable {
    public static let builtIn: [ModelInfo] = [
        ModelInfo(id: "tiny", instruct: [], local: true, template: "chatml.jinja"),
        ModelInfo(id: "Qwen/Qwen3-1.7B-Base", instruct: ["Qwen/Qwen3-1.7B"], local: false, template: "qwen3.jinja"),
        ModelInfo(id: "Qwen/Qwen3-4B-Base", instruct: ["Qwen/Qwen3-4B"], local: false, template: "qwen3.jinja"),
        ModelInfo(id: "HuggingFaceTB/SmolLM3-3B-Base", instruct: ["HuggingFaceTB/SmolLM3-3B"], local: false, template: "smollm.jinja"),
        ModelInfo(id: "google/gemma-3-4b-pt", instruct: ["google/gemma-3-4b-it"], local: false, template: "gemma3.jinja"),
    ]

    /// The built-in entries (the paper's base models and `tiny`).
    public static var all: [ModelInfo] { builtIn }
    public static var ids: [String] { builtIn.map(\.id) }

    /// Template families a catalog file may name.
    public static let templateFamilies = ["qwen3", "gemma3", "smollm", "chatml", "own"]

    public let entries: [ModelInfo]
    /// The user's catalog file, when one was read.
    public let file: URL?

    public init(entries: [ModelInfo] = ModelCatalog.builtIn, file: URL? = nil) {
        self.entries = entries
        self.file = file
    }

    public static func catalogFile(_ home: PTBHome) -> URL { home.root.appendingPathComponent("models.yaml") }

    /// The built-in entries plus `$PTB_HOME/models.yaml` (an entry with a built-in id replaces it).
    public static func load(home: PTBHome) throws -> ModelCatalog {
        let url = catalogFile(home)
        guard FileManager.default.fileExists(atPath: url.path) else { return ModelCatalog() }
        let user = try parse(url)
        var entries = builtIn.filter { b in !user.contains { $0.id == b.id } }
        entries += user
        return ModelCatalog(entries: entries, file: url)
    }

    struct FileEntry: Decodable {
        var id: String
        var instruct: [String]?
        var chatTemplate: String?
        var displayName: String?
        var revision: String?
        var path: String?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, instruct, revision, path
            case chatTemplate = "chat_template", displayName = "display_name"
        }
    }

    static func parse(_ url: URL) throws -> [ModelInfo] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PTBError.config(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        struct Top: Decodable { var models: [FileEntry]? }
        let decoded: Top
        do {
            let doc = try ConfigKeys.check(text: text, path: url.path, allowed: ["models"],
                                           sections: ["models": FileEntry.CodingKeys.allCases.map(\.rawValue)])
            guard doc != nil else {
                throw ConfigKeys.Failure(path: url.path, problems: [ConfigKeys.Problem(line: nil, message:
                    "expected a mapping with a `models:` list of entries (id, instruct, chat_template, display_name, revision, path)")])
            }
            decoded = try ConfigKeys.decode(Top.self, text: text, path: url.path, document: doc)
        } catch let f as ConfigKeys.Failure {
            throw PTBError.config(path: f.location, reason: f.reason + ".")
        }
        return try (decoded.models ?? []).map { e in
            if e.path == nil, !HFCache.validRepoID(e.id) {
                throw PTBError.config(path: url.path, reason: "'\(e.id)' is not a Hugging Face id (org/name); give a `path:` for a local model")
            }
            for i in e.instruct ?? [] where !HFCache.validRepoID(i) {
                throw PTBError.config(path: url.path, reason: "instruct counterpart '\(i)' of '\(e.id)' is not a Hugging Face id (org/name)")
            }
            var template = ""
            if let t = e.chatTemplate {
                let family = t.hasSuffix(".jinja") ? String(t.dropLast(6)) : t
                guard templateFamilies.contains(family) else {
                    throw PTBError.config(path: url.path, reason: "chat_template '\(t)' of '\(e.id)' is not one of \(templateFamilies.joined(separator: ", "))")
                }
                template = family == "own" ? "" : family + ".jinja"
            }
            let path = e.path.map { p in p.hasPrefix("/") ? p : url.deletingLastPathComponent().appendingPathComponent(p).standardizedFileURL.path }
            return ModelInfo(id: e.id, instruct: e.instruct ?? [], local: false, template: template,
                             templatePinned: e.chatTemplate != nil, displayName: e.displayName, revision: e.revision, path: path)
        }
    }

    /// `--model` as given: a catalog entry (at `revision` when given), an instruct counterpart of
    /// one (baselines of instruct models), any other Hugging Face id, or a local directory
    /// (absolute, `./`, `../` or `~/`). Only the syntax is checked here; `resolveDirectory` finds the weights.
    public func lookup(_ id: String, revision: String? = nil) throws -> ModelInfo {
        if let m = entries.first(where: { $0.id == id }) { return m.at(revision: revision) }
        if let base = entries.first(where: { $0.instruct.contains(id) }) {
            return ModelInfo(id: id, instruct: [], local: false, template: base.template, revision: revision)
        }
        if Self.looksLikePath(id) {
            let path = Self.expandPath(id)
            if let m = entries.first(where: { $0.path == path }) { return m }
            if revision != nil {
                throw PTBError.invalidArgument("--model-revision applies to Hugging Face ids, not to a local directory (\(path)).")
            }
            return ModelInfo(id: path, instruct: [], local: false, template: "", path: path)
        }
        guard HFCache.validRepoID(id) else {
            throw PTBError.unknownChoice(kind: "model", value: id, valid: entries.map(\.id),
                                         hint: "Give one of these, a Hugging Face id (org/name, e.g. Qwen/Qwen3-1.7B-Base), or a local directory (/path or ./path) holding config.json.")
        }
        if let revision, revision.isEmpty || revision.contains("..") || revision.hasPrefix("/") {
            throw PTBError.invalidArgument("--model-revision '\(revision)' is not a branch, tag or commit.")
        }
        return ModelInfo(id: id, instruct: [], local: false, template: "", revision: revision)
    }

    /// The built-in catalog (no `$PTB_HOME/models.yaml`).
    public static func lookup(_ id: String, revision: String? = nil) throws -> ModelInfo {
        try ModelCatalog().lookup(id, revision: revision)
    }

    public static func looksLikePath(_ s: String) -> Bool {
        s.hasPrefix("/") || s.hasPrefix("./") || s.hasPrefix("../") || s.hasPrefix("~/") || s == "." || s == ".."
    }

    public static func expandPath(_ s: String) -> String {
        let p = s.hasPrefix("~/") ? NSHomeDirectory() + s.dropFirst(1) : s
        return URL(fileURLWithPath: p).standardizedFileURL.path
    }

    /// The original's `RESULT_PREFIX_SAFE`: `/ : [ ]` become `_`.
    public static func safe(_ s: String) -> String {
        String(s.map { "/:[]".contains($0) ? "_" : $0 })
    }

    /// The model part of run ids and cache keys: a local directory by its name, a revision
    /// other than `main` appended (`org_name@v2`), so scores of two revisions never mix.
    public static func key(_ model: String, revision: String?) -> String {
        let base = looksLikePath(model) ? "local-" + URL(fileURLWithPath: model).lastPathComponent : model
        guard let revision, revision != "main" else { return safe(base) }
        return safe(base) + "@" + safe(revision)
    }

    /// The command that fetches a missing hub model.
    public static func pullCommand(_ id: String, revision: String?) -> String {
        "ptb cache pull --model \(id)" + (revision.map { " --revision \($0)" } ?? "")
    }

    /// Directory holding the weights of `model`: PTB_HOME/models for ptb-built ones, the given
    /// directory for local ones, else the snapshot of its revision in the Hugging Face cache
    /// (`HF_HUB_CACHE`, else `HF_HOME/hub`).
    public static func resolveDirectory(_ model: ModelInfo, home: PTBHome, env: [String: String]) throws -> URL {
        let fm = FileManager.default
        if model.local {
            let dir = home.models.appendingPathComponent(model.id)
            guard fm.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
                throw PTBError.missingSetup("model '\(model.id)' is not built yet (\(dir.path) has no config.json).")
            }
            return dir
        }
        if let path = model.path {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw PTBError.unusable("model directory \(path) does not exist.")
            }
            guard fm.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent("config.json").path) else {
                throw PTBError.unusable("model directory \(path) has no config.json: it is not a Hugging Face model directory (save it with `save_pretrained`).")
            }
            return URL(fileURLWithPath: path)
        }
        return try resolveHub(model.id, revision: model.revision, cache: HFCache.hubCache(env: env), what: "model")
    }

    /// A hub model's snapshot in `cache`, with an error that says how to get it.
    public static func resolveHub(_ id: String, revision: String?, cache: URL, what: String = "model",
                                  pull: String? = nil) throws -> URL {
        let fetch = pull ?? pullCommand(id, revision: revision)
        switch HFCache.lookup(id, revision: revision, cache: cache) {
        case .found(let dir): return dir
        case .missingRepo:
            throw PTBError.unusable("\(what) '\(id)' is not in the Hugging Face cache at \(cache.path). Fetch it with `\(fetch)` (set HF_TOKEN for gated models), set HF_HUB_CACHE/HF_HOME to the cache that holds it, or give a local directory.")
        case let .missingRevision(_, cached):
            throw PTBError.unusable("\(what) '\(id)' is in the Hugging Face cache at \(cache.path), but not at revision '\(revision ?? "main")' (cached: \(cached.isEmpty ? "none" : cached.joined(separator: ", "))). Fetch it with `\(fetch)`.")
        case .incomplete(let snap):
            throw PTBError.unusable("\(what) '\(id)' is incomplete in the Hugging Face cache (\(snap.path) has no config.json). Finish the download with `\(fetch)`.")
        }
    }
}
