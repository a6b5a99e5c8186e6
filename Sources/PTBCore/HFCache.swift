import Foundation

/// The Hugging Face cache as `huggingface_hub` lays it out and finds it, so that what
/// `ptb cache pull`, `huggingface-cli download` or a training script put there is found here:
///
/// ```
/// <hub cache>/models--<org>--<name>/refs/<revision>        the commit hash a branch/tag pointed to
///                                  /snapshots/<commit>/…  files (links into blobs/)
///                                  /blobs/<etag>
/// <hub cache>/datasets--<org>--<name>/…                   the same for datasets
/// ```
public enum HFCache {
    /// `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (huggingface_hub's order).
    public static func home(env: [String: String]) -> URL {
        if let h = env["HF_HOME"], !h.isEmpty { return URL(fileURLWithPath: h) }
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: env["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache")
        return cache.appendingPathComponent("huggingface")
    }

    /// `HF_HUB_CACHE` (or the older `HUGGINGFACE_HUB_CACHE`), else `<HF_HOME>/hub`.
    public static func hubCache(env: [String: String]) -> URL {
        for key in ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"] {
            if let v = env[key], !v.isEmpty { return URL(fileURLWithPath: v) }
        }
        return home(env: env).appendingPathComponent("hub")
    }

    public enum RepoType: String, Sendable, Codable, CaseIterable {
        case model, dataset
        var folderPrefix: String { self == .model ? "models" : "datasets" }
    }

    /// `models--org--name` (`/` becomes `--`).
    public static func repoFolder(_ id: String, type: RepoType = .model) -> String {
        "\(type.folderPrefix)--" + id.replacingOccurrences(of: "/", with: "--")
    }

    /// A full 40-hex commit hash is immutable and names a snapshot directly.
    public static func isCommitHash(_ s: String) -> Bool {
        s.count == 40 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// Hugging Face repo ids: `name` or `org/name`, each part of letters, digits, `-_.`, not
    /// starting or ending with `-`/`.`, no `--` or `..`, at most 96 characters a part.
    public static func validRepoID(_ id: String) -> Bool {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.count <= 96 && p.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
                && !p.hasPrefix("-") && !p.hasPrefix(".") && !p.hasSuffix("-") && !p.hasSuffix(".")
                && !p.contains("--") && !p.contains("..")
        }
    }

    public enum Lookup: Equatable, Sendable {
        case found(URL)
        /// The repo is not in the cache at all.
        case missingRepo(URL)
        /// The repo is there, but not at this revision (the list says which ones are).
        case missingRevision(repo: URL, cached: [String])
        /// The snapshot exists but holds no `requiredFile` (an interrupted or partial download).
        case incomplete(URL)
    }

    /// The snapshot of `id` at `revision` (default `main`): `refs/<revision>` gives the commit,
    /// a commit hash is used as it is. `requiredFile` must exist in it (models: `config.json`).
    public static func lookup(_ id: String, type: RepoType = .model, revision: String?, cache: URL,
                              requiredFile: String? = "config.json") -> Lookup {
        let fm = FileManager.default
        let repo = cache.appendingPathComponent(repoFolder(id, type: type))
        guard fm.fileExists(atPath: repo.path) else { return .missingRepo(repo) }
        let rev = revision ?? "main"
        var commit: String?
        if let text = try? String(contentsOf: repo.appendingPathComponent("refs").appendingPathComponent(rev), encoding: .utf8) {
            commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if isCommitHash(rev) {
            commit = rev
        }
        let snapshots = repo.appendingPathComponent("snapshots")
        guard let commit, !commit.isEmpty, fm.fileExists(atPath: snapshots.appendingPathComponent(commit).path) else {
            let refs = (try? fm.contentsOfDirectory(atPath: repo.appendingPathComponent("refs").path)) ?? []
            let snaps = (try? fm.contentsOfDirectory(atPath: snapshots.path)) ?? []
            return .missingRevision(repo: repo, cached: (refs + snaps).filter { !$0.hasPrefix(".") }.sorted())
        }
        let snap = snapshots.appendingPathComponent(commit)
        if let requiredFile, !fm.fileExists(atPath: snap.appendingPathComponent(requiredFile).path) { return .incomplete(snap) }
        return .found(snap)
    }
}
