import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PTBCore

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
        case .http(let s, _): RetryPolicy.retryable(status: s)
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
    /// How requests go out and are retried (`RetryPolicy.engine`; an hour per request, as a long
    /// generation on a CPU may take).
    public var transport = HTTPTransport(timeout: .seconds(3600), retry: .engine)

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
        return try await transport.run { _ in
            let start = ContinuousClock.now
            do {
                let (status, data) = try await post("/v1/chat/completions", body: body)
                guard status == 200 else { throw ChatClientError.http(status: status, body: String(decoding: data, as: UTF8.self)) }
                guard let r = try? JSONDecoder().decode(Response.self, from: data), let c = r.choices.first else {
                    throw ChatClientError.malformed(String(decoding: data.prefix(300), as: UTF8.self))
                }
                let elapsed = start.duration(to: .now)
                return .done(Completion(text: c.message.content ?? "", finishReason: c.finish_reason,
                                        promptTokens: r.usage?.prompt_tokens, completionTokens: r.usage?.completion_tokens,
                                        latencySeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                                        toolCalls: c.message.tool_calls.flatMap { calls in
                                            calls.isEmpty ? nil : calls.map { ToolCall(name: $0.function.name, arguments: $0.function.arguments ?? "{}") }
                                        }))
            } catch let e as ChatClientError {
                return e.retryable ? .retry(e) : .fail(e)
            }
        }
    }

    func post(_ path: String, body: Data) async throws -> (Int, Data) {
        do {
            return try await transport.post(baseURL + path, body: body, bearer: apiKey)
        } catch {
            throw ChatClientError.transport("\(error)")
        }
    }

    /// GET `path`; returns the status, or nil when nothing answers.
    public static func probe(_ url: String, timeout: TimeAmount = .seconds(2)) async -> Int? {
        await HTTPTransport.probe(url, timeout: timeout)
    }
}
