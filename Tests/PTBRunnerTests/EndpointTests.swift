import Foundation
import PTBCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `ptb eval --endpoint` against an OpenAI-compatible server given the usual ways: with or
/// without `/v1`; a server that answers 404 or nothing at all ends the evaluation at once.
@Suite(.serialized) struct EndpointTests {
    /// A scripted OpenAI-compatible server (python3 stdlib) that logs each request's path and
    /// answers every chat completion with "42", or 404 everywhere when `notFound`.
    final class Server {
        let process = Process()
        let port: Int
        let log: URL

        init(_ h: TestHome, notFound: Bool = false) throws {
            port = Int.random(in: 20_000..<40_000)
            log = h.root.appendingPathComponent("requests-\(port).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let script = """
                import http.server, json, sys
                log = open(sys.argv[2], "a")
                class H(http.server.BaseHTTPRequestHandler):
                    def log_message(self, *a): pass
                    def do_POST(self):
                        self.rfile.read(int(self.headers.get("Content-Length") or 0))
                        log.write(self.path + "\\n"); log.flush()
                        ok = \(notFound ? "False" : "True") and self.path == "/v1/chat/completions"
                        body = json.dumps({"choices": [{"message": {"content": "42"}, "finish_reason": "stop"}],
                                           "usage": {"prompt_tokens": 5, "completion_tokens": 1}} if ok else {"error": "not found"}).encode()
                        self.send_response(200 if ok else 404)
                        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, String(port), log.path]
            try process.run()
            _ = waitFor(10) {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
            }
        }

        var paths: [String] { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        // SIGKILL: the test process passes its blocked signal mask on, so SIGTERM would not arrive.
        func stop() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    func eval(_ h: TestHome, _ endpoint: String, limit: Int = 30) throws -> (PTBResult, Double) {
        let start = Date()
        let r = try ptb(["eval", "--task", "arith", "--endpoint", endpoint, "--served-model", "m", "--limit", String(limit),
                         "--max-connections", "4", "--output-dir", h.root.appendingPathComponent("out-\(UUID().uuidString.prefix(6))").path],
                        home: h, timeout: 120)
        return (r, Date().timeIntervalSince(start))
    }

    @Test func aBaseURLWithOrWithoutV1ReachesChatCompletions() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let server = try Server(h)
        defer { server.stop() }
        for base in ["http://127.0.0.1:\(server.port)", "http://127.0.0.1:\(server.port)/v1", "http://127.0.0.1:\(server.port)/v1/"] {
            let (r, _) = try eval(h, base, limit: 3)
            #expect(r.status == 0, "\(base): \(r.stderr.suffix(1500))")
        }
        #expect(server.paths.count == 9)
        #expect(Set(server.paths) == ["/v1/chat/completions"], "\(Set(server.paths))")
    }

    @Test func aServerThatAnswers404EndsTheEvaluationAtOnce() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let server = try Server(h, notFound: true)
        defer { server.stop() }
        let (r, seconds) = try eval(h, "http://127.0.0.1:\(server.port)/v1", limit: 200)
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot serve this evaluation") && r.stderr.contains("HTTP 404"), "\(r.stderr.suffix(1500))")
        // At most the requests already in flight (4 connections), not one per sample.
        #expect(server.paths.count <= 8, "\(server.paths.count) requests")
        #expect(seconds < 30)
    }

    @Test func nothingListeningEndsTheEvaluationAtOnce() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let (r, seconds) = try eval(h, "http://127.0.0.1:9", limit: 200)
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot serve this evaluation"), "\(r.stderr.suffix(1500))")
        #expect(seconds < 60, "\(seconds) s")
    }
}
