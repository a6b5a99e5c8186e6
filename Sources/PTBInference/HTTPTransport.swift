import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// What one try of a request came to, as the caller reads the server's answer.
public enum AttemptOutcome<T> {
    /// The answer the caller wanted.
    case done(T)
    /// A failure worth another try after the policy's wait (429, 5xx, a dropped connection); the
    /// error is thrown when no try is left.
    case retry(any Error)
    /// Send again at once, without counting a try: the caller changed the request (a parameter
    /// the server rejected is dropped).
    case resend
    /// A failure no retry changes; thrown at once.
    case fail(any Error)
}

/// The one HTTP path to OpenAI-compatible servers: the evaluated model's engine (`ChatClient`)
/// and the judge (`JudgeClient`) post through it and retry by its `RetryPolicy`. Headers (and so
/// API keys) go to the server only; callers log bodies, never the request's headers.
public struct HTTPTransport: Sendable {
    public var timeout: TimeAmount
    public var retry: RetryPolicy
    /// Bigger answers are an error (a misdirected URL streaming a file), not a completion.
    public var maxResponseBytes = 64 << 20

    public init(timeout: TimeAmount, retry: RetryPolicy) {
        self.timeout = timeout
        self.retry = retry
    }

    /// POSTs a JSON `body` to `url` with an optional bearer token; the status and body, whatever
    /// the status. Throws the client's error when no answer came (refused, timed out, reset).
    public func post(_ url: String, body: Data, bearer: String?) async throws -> (status: Int, body: Data) {
        var req = HTTPClientRequest(url: url)
        req.method = .POST
        req.headers.add(name: "Content-Type", value: "application/json")
        if let bearer { req.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        req.body = .bytes(ByteBuffer(data: body))
        let resp = try await HTTPClient.shared.execute(req, timeout: timeout)
        let buf = try await resp.body.collect(upTo: maxResponseBytes)
        return (Int(resp.status.code), Data(buffer: buf))
    }

    /// Calls `attempt(n)` for try n = 1, 2, … until it is done, fails, or the policy's tries are
    /// spent (then the last `.retry` error is thrown), waiting the policy's backoff between tries.
    /// Runs in the caller's isolation, so an actor's attempt may update its own state.
    public func run<T>(isolation: isolated (any Actor)? = #isolation,
                       _ attempt: (_ n: Int) async throws -> AttemptOutcome<T>) async throws -> T {
        var n = 0
        while true {
            n += 1
            switch try await attempt(n) {
            case .done(let value): return value
            case .resend: n -= 1
            case .fail(let error): throw error
            case .retry(let error):
                guard let wait = retry.delay(afterAttempt: n) else { throw error }
                try await Task.sleep(for: wait)
            }
        }
    }

    /// GET `url`; the status, or nil when nothing answers (engine readiness probes).
    public static func probe(_ url: String, timeout: TimeAmount = .seconds(2)) async -> Int? {
        let req = HTTPClientRequest(url: url)
        guard let resp = try? await HTTPClient.shared.execute(req, timeout: timeout) else { return nil }
        _ = try? await resp.body.collect(upTo: 1 << 20)
        return Int(resp.status.code)
    }
}
