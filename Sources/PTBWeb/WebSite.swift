import Foundation
import PTBCore
import PTBResults
import PTBStore
import Synchronization

/// What `ptb serve` reads, in the leaderboard command's terms.
public struct WebConfig: Sendable {
    /// ptb runs directories; results directories of sweeps (`<experiment>/sweep.json`) work too.
    public var runsDirs: [URL]
    /// Imported results (`ptb import`); nil leaves them out.
    public var importStore: ImportStore?
    /// Original-layout results directories read in place.
    public var resultsDirs: [URL]
    public var agents: AgentMap
    public var baselines: BaselineTable
    /// Bootstrap resamples for the leaderboard's interval (the page caches the board a few seconds).
    public var bootstrap: Int
    /// Required as `?token=`, `Authorization: Bearer` or the cookie set after either; nil = open.
    public var token: String?
    /// The run index's SQLite file (derived, rebuilt when missing); nil keeps it in memory.
    public var indexPath: URL?
    /// How stale the run index may get before a refresh.
    public var indexRefreshSeconds: Double

    public init(runsDirs: [URL], importStore: ImportStore?, resultsDirs: [URL] = [], agents: AgentMap = .empty,
                baselines: BaselineTable = .published, bootstrap: Int = 1000, token: String? = nil, indexPath: URL? = nil,
                indexRefreshSeconds: Double = 3) {
        self.indexPath = indexPath
        self.indexRefreshSeconds = indexRefreshSeconds
        self.runsDirs = runsDirs
        self.importStore = importStore
        self.resultsDirs = resultsDirs
        self.agents = agents
        self.baselines = baselines
        self.bootstrap = bootstrap
        self.token = token
    }
}

/// A rendered page: status and HTML (or another body for the few non-HTML routes).
public struct WebPage: Sendable {
    public var status: Int
    public var body: String
    public var contentType: String

    /// Bytes to send instead of `body` (file downloads).
    public var data: Data?
    /// Extra response headers (Content-Disposition of downloads).
    public var headers: [(String, String)] = []

    public init(status: Int = 200, body: String, contentType: String = "text/html; charset=utf-8") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// A JSON document of `value`, in the key style of every JSON ptb writes (JSONIO: camelCase,
    /// sorted keys, ISO dates).
    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> WebPage {
        do {
            return WebPage(status: status, body: String(decoding: try JSONIO.encode(value), as: UTF8.self), contentType: "application/json")
        } catch {
            return WebPage(status: 500, body: "{\"error\": \"the page could not be encoded as JSON\"}", contentType: "application/json")
        }
    }

    public static func notFound(_ what: String, json: Bool = false) -> WebPage {
        if json { return .json(["error": what], status: 404) }
        return WebPage(status: 404, body: HTML.page(title: "Not found", body: "<p>\(HTML.esc(what))</p><p><a href=\"/\">Back to the leaderboard</a></p>"))
    }

    public static func badRequest(_ what: String) -> WebPage {
        WebPage(status: 400, body: HTML.page(title: "Bad request", body: "<p>\(HTML.esc(what))</p>"))
    }
}

/// The web UI without the HTTP server: each route is a function from a path and query to a page,
/// so tests render pages directly and the server stays a thin adapter.
public final class WebSite: Sendable {
    public let config: WebConfig
    public let catalog: RunCatalog
    public let lines = LineIndexCache()
    let boardCache = Mutex<[String: (at: Date, generation: Int, board: Leaderboard, loaded: ResultSources.Loaded, pivot: Pivot?)]>([:])
    let boardBuilding = Mutex<Set<String>>([])
    let boardBuild = Mutex<Void>(())
    let lossCache = Mutex<[String: LossCurve.Scan]>([:])
    let sampleCache = Mutex<[String: (mtime: Date?, size: UInt64, correct: [Bool?])]>([:])

    public static let pageLines = 200
    public static let pageSamples = 25

    public init(config: WebConfig) {
        self.config = config
        self.catalog = RunCatalog(runsDirs: config.runsDirs, indexPath: config.indexPath, ttl: config.indexRefreshSeconds)
    }

    /// Routes by path segments (already split, percent-decoded). A page is JSON when its last
    /// segment ends in `.json` or `accept` asks for `application/json`.
    public func respond(path: String, query: [String: String], accept: String? = nil) -> WebPage {
        var segs = path.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        // No segment ever becomes a path: run ids are validated and looked up in the index,
        // sweep and agent names are compared with known names, run files are resolved inside
        // the run directory. Dot segments are refused outright.
        if segs.contains(where: { $0 == ".." || $0 == "." || $0.contains("\u{0}") }) { return .notFound("No such page.") }
        var json = accept?.contains("application/json") == true
        if segs.first != "static", segs.first != "run" || segs.count < 3 || segs[2] != "file",
           let last = segs.last, last.hasSuffix(".json"), last != ".json" {
            segs[segs.count - 1] = String(last.dropLast(5))
            json = true
        }
        if segs == ["leaderboard"] { segs = [] }
        catalog.requestArrived()
        do {
            switch segs.count {
            case 0: return json ? try leaderboardJSON(query) : try leaderboardPage(query)
            case 1:
                switch segs[0] {
                case "runs": return try runsPage(query, json: json)
                case "sweeps": return try sweepsPage(query, json: json)
                case "compare": return try comparePage(query, json: json)
                case "baselines": return try baselinesPage(json: json)
                default: break
                }
            case 2:
                switch segs[0] {
                case "run": return try runPage(id: segs[1], query, json: json)
                case "sweep": return try sweepPage(name: segs[1], query, json: json)
                case "agent": return try agentPage(name: segs[1], query, json: json)
                case "static":
                    if segs[1] == "app.js" { return WebPage(body: StaticAssets.js, contentType: "text/javascript; charset=utf-8") }
                    if segs[1] == "style.css" { return WebPage(body: StaticAssets.css, contentType: "text/css; charset=utf-8") }
                default: break
                }
            case 3 where segs[0] == "run":
                switch segs[2] {
                case "trace": return try tracePage(id: segs[1], query, json: json)
                case "samples": return try samplesPage(id: segs[1], query, json: json)
                case "live": return liveJSON(id: segs[1])
                case "files": return try filesPage(id: segs[1], json: json)
                default: break
                }
            case 4... where segs[0] == "run" && segs[2] == "file":
                return try fileDownload(id: segs[1], relative: Array(segs[3...]))
            default: break
            }
        } catch {
            if json { return .json(["error": "\(error)"], status: 500) }
            return WebPage(status: 500, body: HTML.page(title: "Error", body: "<p>\(HTML.esc("\(error)"))</p>"))
        }
        return .notFound("No such page.")
    }

    // MARK: data

    /// The leaderboard of the configured sources. Built once per grouping and kept while the run
    /// index is unchanged (imports are re-read at most once a minute); a stale board is served
    /// while a fresh one is built in the background, so only the very first request waits.
    func board(groupBy: GroupBy) throws -> (Leaderboard, ResultSources.Loaded) {
        let key = groupBy.rawValue, generation = catalog.index.generation
        if let c = boardCache.withLock({ $0[key] }) {
            // Rebuilt when the runs changed, but at most every 30 s (a lab's live runs change the
            // index every few seconds, a rebuild reads every run), and every 10 min for imports.
            let age = Date().timeIntervalSince(c.at)
            let fresh = age < 30 || (c.generation == generation && age < 600)
            if fresh { return (c.board, c.loaded) }
            let start = boardBuilding.withLock { building in building.insert(key).inserted }
            if start {
                Task.detached { [self] in
                    _ = try? self.buildBoard(groupBy: groupBy, generation: generation)
                    _ = self.boardBuilding.withLock { $0.remove(key) }
                }
            }
            return (c.board, c.loaded)
        }
        return try buildBoard(groupBy: groupBy, generation: generation)
    }

    /// One build at a time: the server's warm-up and a first visitor (or two visitors) would
    /// otherwise each read every run; a caller that waited finds the other's board.
    func buildBoard(groupBy: GroupBy, generation: Int) throws -> (Leaderboard, ResultSources.Loaded) {
        try boardBuild.withLock { _ throws -> (Leaderboard, ResultSources.Loaded) in
            let key = groupBy.rawValue
            if let c = boardCache.withLock({ $0[key] }), c.generation >= generation, Date().timeIntervalSince(c.at) < 30 { return (c.board, c.loaded) }
            let sources = ResultSources(importStore: config.importStore, resultsDirs: config.resultsDirs,
                                        runsDirs: RunCatalog.expand(config.runsDirs).map(\.dir))
            let loaded = try sources.load()
            let b = try Leaderboard.build(runs: loaded.runs, options: LeaderboardOptions(
                groupBy: groupBy, agents: config.agents, baselines: config.baselines, bootstrap: Bootstrap(resamples: config.bootstrap)))
            // The score-by-budget pivot reads every run too: built here, off the request path.
            let pivot = try? Pivot.build(runs: loaded.runs, options: LeaderboardOptions(groupBy: groupBy, agents: config.agents, baselines: config.baselines,
                                                                                       bootstrap: Bootstrap(resamples: 0)), dimension: .hours)
            boardCache.withLock { $0[key] = (Date(), generation, b, loaded, pivot) }
            return (b, loaded)
        }
    }

    /// Per line of a samples file: whether the sample was scored correct (nil: unreadable line).
    func sampleFlags(_ url: URL) throws -> [Bool?] {
        let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attrs[.size] as? NSNumber)?.uint64Value ?? 0, mtime = attrs[.modificationDate] as? Date
        if let c = sampleCache.withLock({ $0[url.path] }), c.size == size, c.mtime == mtime { return c.correct }
        let idx = try lines.index(url)
        var flags: [Bool?] = []
        flags.reserveCapacity(idx.count)
        var i = 0
        while i < idx.count {
            for l in try lines.lines(url, from: i, to: i + 2000) {
                let o = l.data(using: .utf8).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
                flags.append(o?["correct"] as? Bool)
            }
            i += 2000
        }
        sampleCache.withLock { $0[url.path] = (mtime, size, flags) }
        return flags
    }
}

extension GroupBy {
    init(query: [String: String]) { self = query["group"].flatMap(GroupBy.init(rawValue:)) ?? .agent }
}
