import Foundation
import PTBCore
import PTBStore
import Synchronization

/// One run directory as the run pages show it: read from disk for that one page.
public struct CatalogRun: Sendable {
    public var paths: RunPaths
    public var manifest: RunManifest
    public var result: RunResult?
    public var row: CatalogRow

    public var id: String { paths.id }
    public var sweep: String { row.sweep }
    /// `done`, `failed`, `failed-to-start`, or the phase it is in.
    public var state: String {
        switch manifest.outcome {
        case .done: "done"
        case .failed, .failedToStart: manifest.outcome.rawValue
        case .pending, .running: manifest.currentPhase.rawValue + (manifest.outcome == .running ? " (running)" : "")
        }
    }
    public var isLive: Bool { manifest.outcome == .running || manifest.outcome == .pending }
}

/// The runs under the configured directories, as an incrementally refreshed index: list pages
/// are queries, a refresh (at most every `ttl` seconds, and by `ptb serve` in the background)
/// stats a few files per run and reads only the directories that changed.
public final class RunCatalog: Sendable {
    public let runsDirs: [URL]
    public let index: CatalogIndex
    public let ttl: TimeInterval
    /// False once `ptb serve`'s background task refreshes: requests then never wait for a refresh.
    private let onRequest = Mutex(true)
    private let state = Mutex<(at: Date?, refreshing: Bool)>((nil, false))
    /// The last refresh's figures, for the benchmark and the runs page footer.
    public let lastRefresh = Mutex<(stats: CatalogIndex.RefreshStats, seconds: Double)?>(nil)

    public init(runsDirs: [URL], indexPath: URL? = nil, ttl: TimeInterval = 3) {
        self.runsDirs = runsDirs
        self.ttl = ttl
        // An index that cannot be opened (read-only home, corrupt file) falls back to memory:
        // it is derived data, rebuilt from the run directories either way.
        // (An in-memory SQLite database fails to open only when memory is exhausted: then crashing is right.)
        self.index = (try? indexPath.map { try CatalogIndex(path: $0) } ?? CatalogIndex(path: nil)) ?? (try! CatalogIndex(path: nil))
    }

    /// Refreshes when the last refresh is older than `ttl`; a request that finds another refresh
    /// in flight uses the index as it stands instead of waiting.
    public func refreshIfStale() {
        let go = state.withLock { s -> Bool in
            if s.refreshing { return false }
            if let at = s.at, Date().timeIntervalSince(at) < ttl { return false }
            s.refreshing = true
            return true
        }
        guard go else { return }
        refreshNow()
    }

    /// Called per request: refreshes when stale, unless a background task does that.
    public func requestArrived() {
        if onRequest.withLock({ $0 }) { refreshIfStale() }
    }

    public func refreshInBackground() { onRequest.withLock { $0 = false } }

    /// Refreshes now (and waits for it).
    public func refreshNow() {
        let t0 = Date()
        let stats = (try? index.refresh(Self.expand(runsDirs))) ?? CatalogIndex.RefreshStats(problems: ["index refresh failed"])
        lastRefresh.withLock { $0 = (stats, Date().timeIntervalSince(t0)) }
        state.withLock { $0 = (Date(), false) }
    }

    /// `<home>/web-index/<hash of the runs directories>.sqlite`: one derived index per set of
    /// directories served, so two `ptb serve`s of different directories never rebuild each other's.
    public static func indexPath(home: URL, runsDirs: [URL]) -> URL {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in runsDirs.map({ $0.standardizedFileURL.path }).joined(separator: "\n").utf8 {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return home.appendingPathComponent("web-index").appendingPathComponent(String(format: "%016llx.sqlite", h))
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

    /// Ids are directory names ptb made (letters, digits, `-`, `.`, `_`); anything else — a slash,
    /// `..`, a percent escape that decoded to one — is refused before any lookup.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 255 && !id.hasPrefix(".")
            && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._".unicodeScalars.contains($0)) }
    }

    /// Lookup by id in the index only: a request never becomes a path.
    public func run(id: String) -> CatalogRun? {
        guard Self.isValidID(id), let row = try? index.row(id: id) else { return nil }
        let p = RunPaths(dir: URL(fileURLWithPath: row.dir))
        guard let m = try? JSONIO.read(RunManifest.self, from: p.manifest) else { return nil }
        return CatalogRun(paths: p, manifest: m, result: try? JSONIO.read(RunResult.self, from: p.result), row: row)
    }
}
