import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PTBTasks

public struct Completion: Codable, Sendable, Equatable {
    public var text: String
    public var finishReason: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var latencySeconds: Double
    /// The parsed tool calls, when the request carried tools and the model made calls.
    public var toolCalls: [ToolCall]? = nil
}

public enum ChatClientError: Error, CustomStringConvertible {
    case http(status: Int, body: String)
    case malformed(String)
    case transport(String)
    public var description: String {
        switch self {
        case let .http(status, body): "HTTP \(status): \(body.prefix(300))"
        case .malformed(let m): "malformed response: \(m)"
        case .transport(let m): "transport error: \(m)"
        }
    }
    /// An answer that every other request to the same endpoint would get too: wrong URL, wrong
    /// key, nothing listening. Evaluations stop at the first one instead of failing every sample.
    public var endpointUnusable: Bool {
        switch self {
        case .http(let s, _): s == 401 || s == 403 || s == 404
        case .transport(let m): m.localizedCaseInsensitiveContains("connection refused") || m.localizedCaseInsensitiveContains("connectTimeout")
        case .malformed: false
        }
    }
    var retryable: Bool {
        switch self {
        case .http(let s, _): s == 429 || s >= 500
        case .transport: true
        case .malformed: false
        }
    }
}

/// Sampling parameters; nil means "not sent", so the model's generation_config decides, as in
/// the original harness.
public struct SamplingParams: Codable, Sendable, Equatable {
    public var maxTokens: Int
    public var temperature: Double?
    public var seed: Int?
    public init(maxTokens: Int, temperature: Double? = nil, seed: Int? = nil) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.seed = seed
    }
}

/// OpenAI-compatible chat-completions client over async-http-client.
public struct ChatClient: Sendable {
    public let baseURL: String
    public let apiKey: String?
    public let model: String
    public var timeout: TimeAmount = .seconds(3600)
    public var retries = 3

    /// `baseURL` with or without the trailing `/v1` that the OpenAI SDK, vLLM and inspect write.
    public init(baseURL: String, apiKey: String?, model: String) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        if url.hasSuffix("/v1") { url.removeLast(3) }
        self.baseURL = url
        self.apiKey = apiKey
        self.model = model
    }

    struct Request: Encodable {
        var model: String
        var messages: [ChatMessage]
        var max_tokens: Int
        var temperature: Double?
        var seed: Int?
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var tool_calls: [WireToolCall]?
            }
            struct WireToolCall: Decodable {
                struct Function: Decodable { var name: String; var arguments: String? }
                var function: Function
            }
            var message: Message
            var finish_reason: String?
        }
        struct Usage: Decodable { var prompt_tokens: Int?; var completion_tokens: Int? }
        var choices: [Choice]
        var usage: Usage?
    }

    /// `tools`: an OpenAI tools array as JSON text, sent verbatim (BFCL's schemas keep their
    /// exact numbers and key order that way).
    public func complete(_ messages: [ChatMessage], params: SamplingParams, tools: String? = nil) async throws -> Completion {
        var body = try JSONEncoder().encode(Request(model: model, messages: messages, max_tokens: params.maxTokens,
                                                    temperature: params.temperature, seed: params.seed))
        if let tools, body.last == UInt8(ascii: "}") {
            body.removeLast()
            body.append(contentsOf: Array(",\"tools\":".utf8) + Array(tools.utf8) + [UInt8(ascii: "}")])
        }
        var attempt = 0
        while true {
            attempt += 1
            let start = ContinuousClock.now
            do {
                let (status, data) = try await post("/v1/chat/completions", body: body)
                guard status == 200 else { throw ChatClientError.http(status: status, body: String(decoding: data, as: UTF8.self)) }
                guard let r = try? JSONDecoder().decode(Response.self, from: data), let c = r.choices.first else {
                    throw ChatClientError.malformed(String(decoding: data.prefix(300), as: UTF8.self))
                }
                let elapsed = start.duration(to: .now)
                return Completion(text: c.message.content ?? "", finishReason: c.finish_reason,
                                  promptTokens: r.usage?.prompt_tokens, completionTokens: r.usage?.completion_tokens,
                                  latencySeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                                  toolCalls: c.message.tool_calls.flatMap { calls in
                                      calls.isEmpty ? nil : calls.map { ToolCall(name: $0.function.name, arguments: $0.function.arguments ?? "{}") }
                                  })
            } catch let e as ChatClientError where e.retryable && attempt < retries {
                try await Task.sleep(for: .milliseconds(500 * (1 << attempt)))
            }
        }
    }

    func post(_ path: String, body: Data) async throws -> (Int, Data) {
        var req = HTTPClientRequest(url: baseURL + path)
        req.method = .POST
        req.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { req.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        req.body = .bytes(ByteBuffer(data: body))
        do {
            let resp = try await HTTPClient.shared.execute(req, timeout: timeout)
            let buf = try await resp.body.collect(upTo: 64 << 20)
            return (Int(resp.status.code), Data(buffer: buf))
        } catch let e as ChatClientError {
            throw e
        } catch {
            throw ChatClientError.transport("\(error)")
        }
    }

    /// GET `path`; returns the status, or nil when nothing answers.
    public static func probe(_ url: String, timeout: TimeAmount = .seconds(2)) async -> Int? {
        let req = HTTPClientRequest(url: url)
        guard let resp = try? await HTTPClient.shared.execute(req, timeout: timeout) else { return nil }
        _ = try? await resp.body.collect(upTo: 1 << 20)
        return Int(resp.status.code)
    }
}
