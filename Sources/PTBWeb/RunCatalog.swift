import Foundation
import PTBCore
import PTBStore
import Synchronization

/// One run directory as the web UI lists it.
public struct CatalogRun: Sendable {
    public var paths: RunPaths
    public var manifest: RunManifest
    public var result: RunResult?
    /// The experiment directory it was found under (`<results>/<experiment>/runs/<id>`), if any.
    public var experiment: String?

    public var id: String { paths.id }
    /// The sweep a run belongs to: its experiment, else its `--name`, else its agent (the
    /// leaderboard's method).
    public var sweep: String { experiment ?? manifest.spec.name ?? manifest.spec.agent }
    /// `done`, `failed`, or the phase it is in.
    public var state: String {
        switch manifest.outcome {
        case .done: "done"
        case .failed: "failed"
        case .pending, .running: manifest.currentPhase.rawValue + (manifest.outcome == .running ? " (running)" : "")
        }
    }
}

/// The runs under the configured directories, rescanned at most every `ttl` seconds so that
/// pages stay fast with many runs while new and finishing runs still show up.
public final class RunCatalog: Sendable {
    public let runsDirs: [URL]
    let ttl: TimeInterval
    private let state = Mutex<(at: Date, runs: [CatalogRun])?>(nil)

    public init(runsDirs: [URL], ttl: TimeInterval = 3) {
        self.runsDirs = runsDirs
        self.ttl = ttl
    }

    public func runs() -> [CatalogRun] {
        if let s = state.withLock({ $0 }), Date().timeIntervalSince(s.at) < ttl { return s.runs }
        let fresh = Self.scan(runsDirs)
        state.withLock { $0 = (Date(), fresh) }
        return fresh
    }

    /// Runs directories plus, for a results directory of sweeps, each `<experiment>/runs`.
    public static func expand(_ dirs: [URL]) -> [(dir: URL, experiment: String?)] {
        let fm = FileManager.default
        var out: [(URL, String?)] = []
        for d in dirs {
            out.append((d, nil))
            for name in ((try? fm.contentsOfDirectory(atPath: d.path)) ?? []).sorted() {
                let exp = d.appendingPathComponent(name)
                if fm.fileExists(atPath: exp.appendingPathComponent("sweep.json").path) {
                    out.append((exp.appendingPathComponent("runs"), name))
                }
            }
        }
        return out
    }

    static func scan(_ dirs: [URL]) -> [CatalogRun] {
        var seen = Set<String>()
        var out: [CatalogRun] = []
        for (dir, experiment) in expand(dirs) {
            for runDir in RunScanner.runDirectories(in: dir) {
                let p = RunPaths(dir: runDir)
                // An id reached twice (the same directory given twice) is listed once: ids are the URLs.
                guard seen.insert(p.id).inserted, let m = try? JSONIO.read(RunManifest.self, from: p.manifest) else { continue }
                out.append(CatalogRun(paths: p, manifest: m, result: try? JSONIO.read(RunResult.self, from: p.result), experiment: experiment))
            }
        }
        return out.sorted { ($0.manifest.createdAt, $0.id) > ($1.manifest.createdAt, $1.id) }
    }

    /// Ids are directory names ptb made (letters, digits, `-`, `.`, `_`); anything else — a slash,
    /// `..`, a percent escape that decoded to one — is refused before any lookup.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 255 && !id.hasPrefix(".")
            && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._".unicodeScalars.contains($0)) }
    }

    /// Lookup by id among the scanned runs only: a request never becomes a path.
    public func run(id: String) -> CatalogRun? {
        guard Self.isValidID(id) else { return nil }
        return runs().first { $0.id == id }
    }
}
