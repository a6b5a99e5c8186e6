import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PTBResults
import ServiceLifecycle
import UnixSignals

/// `ptb serve`: the web UI over HTTP, read-only (GET and HEAD only), inside a ServiceGroup that
/// shuts down cleanly on SIGINT/SIGTERM.
public enum WebServer {
    public static let securityHeaders: [(String, String)] = [
        // Pages carry no inline script or style: an escaped-but-somehow-not payload still cannot run.
        ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        // Keeps a ?token= out of Referer headers sent to other sites.
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]
    static let cookieName = "ptb_token"

    /// The router every server and test uses.
    public static func router(site: WebSite) -> Router<BasicRequestContext> {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            handle(request, site: site)
        }
        router.get("/", use: handler)
        router.get("**", use: handler)
        router.head("/", use: handler)
        router.head("**", use: handler)
        return router
    }

    static func handle(_ request: Request, site: WebSite) -> Response {
        let query = parseQuery(request.uri.query)
        var setCookie: String?
        if let token = site.config.token {
            let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            let cookie = cookieValue(request.headers[.cookie], name: cookieName)
            let given = [query["token"], bearer, cookie].compactMap { $0 }
            guard given.contains(where: { constantTimeEqual($0, token) }) else {
                return response(WebPage(status: 401, body: HTML.page(title: "Token required",
                    body: "<p>This server was started with --token: open it as <code>/?token=…</code> or send <code>Authorization: Bearer …</code>.</p>")))
            }
            // A token in the URL becomes a cookie, so links within the UI keep working without it.
            if query["token"] != nil { setCookie = "\(cookieName)=\(HTML.url(token)); Path=/; HttpOnly; SameSite=Strict" }
        }
        var r = response(site.respond(path: request.uri.path, query: query, accept: request.headers[.accept]))
        if let setCookie, let name = HTTPField.Name("Set-Cookie") { r.headers[name] = setCookie }
        return r
    }

    static func response(_ page: WebPage) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = page.contentType
        for (k, v) in securityHeaders + page.headers { if let n = HTTPField.Name(k) { headers[n] = v } }
        let buffer = page.data.map { ByteBuffer(bytes: $0) } ?? ByteBuffer(string: page.body)
        return Response(status: HTTPResponse.Status(code: page.status), headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    /// Keys whose repeated values are kept, joined by commas (the runs list's compare checkboxes).
    static let listKeys: Set<String> = ["id"]

    /// `a=1&b=x+y`: `+` is a space (HTML forms), then percent-decoding; the first value of a key
    /// wins, except for `listKeys`.
    public static func parseQuery(_ q: String?) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (q ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            let k = dec(kv[0])
            let v = kv.count > 1 ? dec(kv[1]) : ""
            if let old = out[k] {
                if listKeys.contains(k) { out[k] = old + "," + v }
            } else {
                out[k] = v
            }
        }
        return out
    }

    static func cookieValue(_ header: String?, name: String) -> String? {
        for part in (header ?? "").split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == name { return String(kv[1]).removingPercentEncoding }
        }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }

    /// Serves until SIGINT/SIGTERM. `onListening` gets the bound port (useful with port 0).
    public static func run(site: WebSite, host: String, port: Int, onListening: @escaping @Sendable (Int) -> Void) async throws {
        var logger = Logger(label: "ptb.serve")
        logger.logLevel = .warning
        let app = Application(router: router(site: site),
                              configuration: .init(address: .hostname(host, port: port), serverName: "ptb"),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // The index refreshes off the request path: requests then only query it. The first
        // refresh happens before listening, so the first page does not pay for a cold index.
        site.catalog.refreshNow()
        site.catalog.refreshInBackground()
        // The leaderboard reads every finished run's files once; start that now, not on the first visit.
        Task.detached { _ = try? site.board(groupBy: .agent) }
        let refresher = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(site.catalog.ttl))
                site.catalog.refreshIfStale()
            }
        }
        defer { refresher.cancel() }
        try await group.run()
    }
}
