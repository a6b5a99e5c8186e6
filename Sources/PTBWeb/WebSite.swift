import Foundation
import PTBCore
import PTBResults
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

    public init(runsDirs: [URL], importStore: ImportStore?, resultsDirs: [URL] = [], agents: AgentMap = .empty,
                baselines: BaselineTable = .published, bootstrap: Int = 1000, token: String? = nil) {
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

    public init(status: Int = 200, body: String, contentType: String = "text/html; charset=utf-8") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    public static func notFound(_ what: String) -> WebPage {
        WebPage(status: 404, body: HTML.page(title: "Not found", body: "<p>\(HTML.esc(what))</p><p><a href=\"/\">Back to the leaderboard</a></p>"))
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
    let boardCache = Mutex<[String: (at: Date, board: Leaderboard, loaded: ResultSources.Loaded)]>([:])
    let sampleCache = Mutex<[String: (mtime: Date?, size: UInt64, correct: [Bool?])]>([:])

    public static let pageLines = 200
    public static let pageSamples = 25

    public init(config: WebConfig) {
        self.config = config
        self.catalog = RunCatalog(runsDirs: config.runsDirs)
    }

    /// Routes by path segments (already split, percent-decoded).
    public func respond(path: String, query: [String: String]) -> WebPage {
        let segs = path.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        // No segment ever becomes a path: run ids are validated and looked up among scanned runs,
        // sweep and agent names are compared with known names. Dot segments are refused outright.
        if segs.contains(where: { $0 == ".." || $0 == "." }) { return .notFound("No such page.") }
        do {
            switch segs.count {
            case 0: return try leaderboardPage(query)
            case 1:
                switch segs[0] {
                case "runs": return runsPage(query)
                case "sweeps": return sweepsPage()
                case "baselines": return try baselinesPage()
                case "leaderboard.json": return try leaderboardJSON(query)
                default: break
                }
            case 2:
                switch segs[0] {
                case "run": return runPage(id: segs[1])
                case "sweep": return sweepPage(name: segs[1])
                case "agent": return try agentPage(name: segs[1], query)
                case "static":
                    if segs[1] == "app.js" { return WebPage(body: StaticAssets.js, contentType: "text/javascript; charset=utf-8") }
                    if segs[1] == "style.css" { return WebPage(body: StaticAssets.css, contentType: "text/css; charset=utf-8") }
                default: break
                }
            case 3 where segs[0] == "run":
                switch segs[2] {
                case "trace": return try tracePage(id: segs[1], query)
                case "samples": return try samplesPage(id: segs[1], query)
                default: break
                }
            default: break
            }
        } catch {
            return WebPage(status: 500, body: HTML.page(title: "Error", body: "<p>\(HTML.esc("\(error)"))</p>"))
        }
        return .notFound("No such page.")
    }

    // MARK: data

    /// The leaderboard of the configured sources, cached for a few seconds per grouping.
    func board(groupBy: GroupBy) throws -> (Leaderboard, ResultSources.Loaded) {
        let key = groupBy.rawValue
        if let c = boardCache.withLock({ $0[key] }), Date().timeIntervalSince(c.at) < 5 { return (c.board, c.loaded) }
        let sources = ResultSources(importStore: config.importStore, resultsDirs: config.resultsDirs,
                                    runsDirs: RunCatalog.expand(config.runsDirs).map(\.dir))
        let loaded = try sources.load()
        let b = try Leaderboard.build(runs: loaded.runs, options: LeaderboardOptions(
            groupBy: groupBy, agents: config.agents, baselines: config.baselines, bootstrap: Bootstrap(resamples: config.bootstrap)))
        boardCache.withLock { $0[key] = (Date(), b, loaded) }
        return (b, loaded)
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
