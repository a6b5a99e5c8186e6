import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PTBCore
import PTBInference
import PTBTasks

/// Where the judge is and how much it may do.
public struct JudgeConfig: Sendable, Equatable {
    /// Server root (`https://api.openai.com`, `http://127.0.0.1:8000`); a trailing `/v1` is accepted.
    public var endpoint: String
    public var model: String
    /// Read from the environment, never stored in any file.
    public var apiKey: String?
    public var workers: Int
    public var budgetUSD: Double?
    /// Replaces the tasks' requested completion-token limits (the original's 49152 / 512).
    public var maxTokens: Int?
    public var prices: PriceTable
    /// Content-addressed cache of responses (default `$PTB_HOME/cache/judge`).
    public var cacheDir: URL
    public var timeoutSeconds: Int64
    /// Attempts per call on 429, 5xx, timeouts and transport errors.
    public var attempts: Int
    /// First backoff; doubles after each failed attempt (the original sleeps 5·2^attempt s).
    public var backoffSeconds: Double

    public static let defaultEndpoint = "https://api.openai.com"
    public static let defaultModel = "gpt-5-mini"

    public init(endpoint: String = JudgeConfig.defaultEndpoint, model: String = JudgeConfig.defaultModel, apiKey: String?, workers: Int = 64,
                budgetUSD: Double? = nil, maxTokens: Int? = nil, prices: PriceTable = PriceTable(), cacheDir: URL,
                timeoutSeconds: Int64 = 600, attempts: Int = 4, backoffSeconds: Double = 5) {
        self.endpoint = endpoint
        self.model = model
        self.apiKey = apiKey
        self.workers = max(1, workers)
        self.budgetUSD = budgetUSD
        self.maxTokens = maxTokens
        self.prices = prices
        self.cacheDir = cacheDir
        self.timeoutSeconds = timeoutSeconds
        self.attempts = max(1, attempts)
        self.backoffSeconds = backoffSeconds
    }

    /// The judge of a run that has no judge options (`ptb run`'s final evaluation): environment
    /// variables PTB_JUDGE_ENDPOINT, PTB_JUDGE_MODEL, PTB_JUDGE_WORKERS, PTB_JUDGE_BUDGET_USD,
    /// PTB_JUDGE_MAX_TOKENS, PTB_JUDGE_PRICES, PTB_JUDGE_CACHE, and OPENAI_API_KEY (or PTB_JUDGE_API_KEY).
    public static func fromEnvironment(home: PTBHome, env: [String: String] = ProcessInfo.processInfo.environment) throws -> JudgeConfig {
        JudgeConfig(endpoint: env["PTB_JUDGE_ENDPOINT"] ?? defaultEndpoint, model: env["PTB_JUDGE_MODEL"] ?? defaultModel,
                    apiKey: env["PTB_JUDGE_API_KEY"] ?? env["OPENAI_API_KEY"], workers: env["PTB_JUDGE_WORKERS"].flatMap { Int($0) } ?? 64,
                    budgetUSD: env["PTB_JUDGE_BUDGET_USD"].flatMap { Double($0) }, maxTokens: env["PTB_JUDGE_MAX_TOKENS"].flatMap { Int($0) },
                    prices: try PriceTable.load(overrides: env["PTB_JUDGE_PRICES"].map { URL(fileURLWithPath: $0) }),
                    cacheDir: env["PTB_JUDGE_CACHE"].map { URL(fileURLWithPath: $0) } ?? home.root.appendingPathComponent("cache/judge"))
    }

    /// The environment's judge with `settings` (flags or a run's `scoringJudge`) applied on top.
    public static func from(_ settings: ScoringJudge?, home: PTBHome,
                            env: [String: String] = ProcessInfo.processInfo.environment) throws -> JudgeConfig {
        var c = try fromEnvironment(home: home, env: env)
        guard let settings else { return c }
        if let v = settings.endpoint { c.endpoint = v }
        if let v = settings.model { c.model = v }
        if let v = settings.workers { c.workers = max(1, v) }
        if let v = settings.budgetUSD { c.budgetUSD = v }
        if let v = settings.maxTokens { c.maxTokens = v }
        if let v = settings.prices { c.prices = try PriceTable.load(overrides: URL(fileURLWithPath: v)) }
        if let v = settings.cache { c.cacheDir = URL(fileURLWithPath: v) }
        return c
    }

    var chatURL: String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1") ? base + "/chat/completions" : base + "/v1/chat/completions"
    }

    /// Problems that make judging impossible, said before any generation starts.
    public func validate() throws {
        if budgetUSD != nil, prices.price(for: model) == nil {
            throw PTBError.invalidArgument("--judge-budget-usd needs a price for judge model '\(model)'; give one with --judge-prices FILE "
                                           + "({\"\(model)\": {\"input_per_million\": N, \"output_per_million\": N}}).")
        }
        if apiKey == nil, endpoint == Self.defaultEndpoint {
            throw PTBError.unusable("the judge (\(model) at \(endpoint)) needs OPENAI_API_KEY in the environment; "
                                           + "or point --judge-endpoint at an OpenAI-compatible server.")
        }
    }
}

/// One line of `judge_calls.jsonl`: the request body as sent (headers, and so the API key, are
/// never recorded) and the raw response.
public struct JudgeCallRecord: Codable, Sendable {
    public var time: Date
    public var tag: String
    public var key: String
    public var cached: Bool
    public var request: String
    public var status: Int?
    public var response: String?
    public var error: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var costUSD: Double?
    public var latencySeconds: Double?

    enum CodingKeys: String, CodingKey {
        case time, tag, key, cached, request, status, response, error, promptTokens, completionTokens, costUSD, latencySeconds
    }

    /// judge_calls.jsonl before ptb's one key style (camelCase) spelled these in snake_case.
    enum LegacyKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", costUSD = "cost_usd", latencySeconds = "latency_seconds"
    }

    public init(time: Date, tag: String, key: String, cached: Bool, request: String, status: Int? = nil, response: String? = nil,
                error: String? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil, costUSD: Double? = nil,
                latencySeconds: Double? = nil) {
        self.time = time
        self.tag = tag
        self.key = key
        self.cached = cached
        self.request = request
        self.status = status
        self.response = response
        self.error = error
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
        self.latencySeconds = latencySeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let old = try decoder.container(keyedBy: LegacyKeys.self)
        time = try c.decode(Date.self, forKey: .time)
        tag = try c.decode(String.self, forKey: .tag)
        key = try c.decode(String.self, forKey: .key)
        cached = try c.decode(Bool.self, forKey: .cached)
        request = try c.decode(String.self, forKey: .request)
        status = try c.decodeIfPresent(Int.self, forKey: .status)
        response = try c.decodeIfPresent(String.self, forKey: .response)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        promptTokens = try c.decodeIfPresent(Int.self, forKey: .promptTokens) ?? old.decodeIfPresent(Int.self, forKey: .promptTokens)
        completionTokens = try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? old.decodeIfPresent(Int.self, forKey: .completionTokens)
        costUSD = try c.decodeIfPresent(Double.self, forKey: .costUSD) ?? old.decodeIfPresent(Double.self, forKey: .costUSD)
        latencySeconds = try c.decodeIfPresent(Double.self, forKey: .latencySeconds) ?? old.decodeIfPresent(Double.self, forKey: .latencySeconds)
    }
}

/// A cache file: `<cacheDir>/<key prefix>/<key>.json`.
struct JudgeCacheEntry: Codable {
    var key: String
    var request: String
    var response: String
    var text: String
}

/// The judge: OpenAI chat completions with bounded concurrency, retries, parameter fallbacks,
/// a response cache, a token/cost ledger and a hard budget.
public actor JudgeClient: JudgeService {
    public nonisolated let model: String
    public nonisolated let maxTokensOverride: Int?
    public nonisolated let config: JudgeConfig
    private let callLog: LineAppender?

    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var calls = 0
    private var cacheHits = 0
    private var failedCalls = 0
    private var promptTokens = 0
    private var completionTokens = 0
    private var spentUSD = 0.0
    private var inFlight = 0
    private var budgetStopped = false
    /// Parameters the server rejected once: not sent again in this run.
    private var useMaxTokens = false
    private var dropReasoningEffort = false
    private var fallbacks: [String] = []

    /// `callLog`: where every request and response is appended (`judge_calls.jsonl` beside the samples).
    public init(config: JudgeConfig, callLog: URL?) throws {
        self.config = config
        self.model = config.model
        self.maxTokensOverride = config.maxTokens
        self.permits = config.workers
        self.callLog = try callLog.map { try LineAppender(url: $0) }
    }

    /// The ledger so far.
    public func summary() -> JudgeSummary {
        JudgeSummary(model: model, endpoint: config.endpoint, calls: calls, cacheHits: cacheHits, failedCalls: failedCalls,
                     promptTokens: promptTokens, completionTokens: completionTokens, costUSD: spentUSD, budgetUSD: config.budgetUSD,
                     state: budgetStopped ? .budgetExhausted : .complete, fallbacks: fallbacks)
    }

    /// The request body, as ordered JSON; `options` decide the token and reasoning fields.
    nonisolated static func body(model: String, messages: [ChatMessage], options: JudgeCallOptions, useMaxTokens: Bool,
                                 dropReasoningEffort: Bool) -> [String: CanonicalJSON] {
        var b: [String: CanonicalJSON] = [
            "model": .string(model),
            "messages": .array(messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) }),
        ]
        if let n = options.maxCompletionTokens { b[useMaxTokens ? "max_tokens" : "max_completion_tokens"] = .number(Double(n)) }
        if let n = options.maxTokens { b["max_tokens"] = .number(Double(n)) }
        if let e = options.reasoningEffort, !dropReasoningEffort { b["reasoning_effort"] = .string(e) }
        if let t = options.temperature { b["temperature"] = .number(t) }
        return b
    }

    /// sha256 of the canonical (sorted-key) JSON of the request the task asked for, plus the
    /// retry number of a malformed answer. Fallbacks do not change the key: the same question
    /// finds its answer again whichever parameters the server took.
    nonisolated static func cacheKey(model: String, messages: [ChatMessage], options: JudgeCallOptions) -> String {
        var b = body(model: model, messages: messages, options: options, useMaxTokens: false, dropReasoningEffort: false)
        if options.attempt > 1 { b["ptb_attempt"] = .number(Double(options.attempt)) }
        return Hashing.sha256(Data(CanonicalJSON.object(b).canonical.utf8))
    }

    func cacheURL(_ key: String) -> URL {
        config.cacheDir.appendingPathComponent(String(key.prefix(2))).appendingPathComponent("\(key).json")
    }

    public func complete(_ messages: [ChatMessage], options: JudgeCallOptions, tag: String) async throws -> String {
        let key = Self.cacheKey(model: model, messages: messages, options: options)
        if let data = try? Data(contentsOf: cacheURL(key)), let entry = try? JSONDecoder().decode(JudgeCacheEntry.self, from: data) {
            cacheHits += 1
            log(JudgeCallRecord(time: Date(), tag: tag, key: key, cached: true, request: entry.request, status: 200, response: entry.response))
            return entry.text
        }
        try checkBudget()
        await acquire()
        defer { release() }
        // Another call may have spent the budget while this one waited.
        try checkBudget()
        inFlight += 1
        defer { inFlight -= 1 }

        // Retried as every OpenAI call ptb makes (`RetryPolicy`), and also when a 200 carries no
        // parseable answer; a rejected parameter is dropped and the request resent, uncounted.
        let transport = HTTPTransport(timeout: .seconds(config.timeoutSeconds),
                                      retry: RetryPolicy(attempts: config.attempts, backoffSeconds: config.backoffSeconds))
        var lastError = ""
        do {
            return try await transport.run { _ in
                let b = Self.body(model: model, messages: messages, options: options, useMaxTokens: useMaxTokens, dropReasoningEffort: dropReasoningEffort)
                let request = CanonicalJSON.object(b).canonical
                let start = ContinuousClock.now
                let status: Int
                let raw: String
                do {
                    let r = try await transport.post(config.chatURL, body: Data(request.utf8), bearer: config.apiKey)
                    status = r.status
                    raw = String(decoding: r.body, as: UTF8.self)
                } catch {
                    lastError = "\(error)"
                    calls += 1
                    log(JudgeCallRecord(time: Date(), tag: tag, key: key, cached: false, request: request, error: lastError))
                    return .retry(JudgeCallError.failed(lastError))
                }
                let latency = Self.seconds(start.duration(to: .now))
                calls += 1
                if status == 200, let parsed = Self.parse(raw) {
                    promptTokens += parsed.prompt
                    completionTokens += parsed.completion
                    let cost = config.prices.price(for: model)?.cost(prompt: parsed.prompt, cached: parsed.cached, completion: parsed.completion) ?? 0
                    spentUSD += cost
                    log(JudgeCallRecord(time: Date(), tag: tag, key: key, cached: false, request: request, status: status, response: raw,
                                        promptTokens: parsed.prompt, completionTokens: parsed.completion, costUSD: cost, latencySeconds: latency))
                    let entry = JudgeCacheEntry(key: key, request: request, response: raw, text: parsed.text)
                    try? AtomicFile.write(try JSONIO.encode(entry), to: cacheURL(key))
                    return .done(parsed.text)
                }
                log(JudgeCallRecord(time: Date(), tag: tag, key: key, cached: false, request: request, status: status, response: raw, latencySeconds: latency))
                lastError = "HTTP \(status): \(raw.prefix(300))"
                if status == 400, noteRejectedParameter(raw, sent: b) { return .resend }
                if RetryPolicy.retryable(status: status) || status == 200 { return .retry(JudgeCallError.failed(lastError)) }
                return .fail(JudgeCallError.failed(lastError))
            }
        } catch is JudgeCallError {
            failedCalls += 1
            throw JudgeCallError.failed(lastError)
        }
    }

    /// The original drops `reasoning_effort` when a 400 mentions "reasoning"; ptb also falls back
    /// from `max_completion_tokens` to `max_tokens`. True when a fallback applies.
    private func noteRejectedParameter(_ body: String, sent: [String: CanonicalJSON]) -> Bool {
        let lower = body.lowercased()
        if sent["max_completion_tokens"] != nil, lower.contains("max_completion_tokens"), !useMaxTokens {
            useMaxTokens = true
            fallbacks.append("max_completion_tokens → max_tokens")
            return true
        }
        if sent["reasoning_effort"] != nil, lower.contains("reasoning"), !dropReasoningEffort {
            dropReasoningEffort = true
            fallbacks.append("reasoning_effort dropped")
            return true
        }
        return false
    }

    private func checkBudget() throws {
        guard let budget = config.budgetUSD else { return }
        // Calls in flight will spend about what the average call has cost so far.
        let average = calls > 0 ? spentUSD / Double(calls) : 0
        if budgetStopped || spentUSD + Double(inFlight) * average >= budget {
            budgetStopped = true
            throw JudgeCallError.budgetExhausted(spentUSD: spentUSD, budgetUSD: budget)
        }
    }

    private func acquire() async {
        if permits > 0 { permits -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { permits += 1 } else { waiters.removeFirst().resume() }
    }

    private func log(_ r: JudgeCallRecord) {
        guard let callLog, let line = try? JSONIO.line(r) else { return }
        callLog.append(line)
    }

    struct Parsed { var text: String; var prompt: Int; var cached: Int; var completion: Int }

    static func parse(_ raw: String) -> Parsed? {
        struct R: Decodable {
            struct Choice: Decodable {
                struct Message: Decodable { var content: String? }
                var message: Message
            }
            struct Usage: Decodable {
                struct Details: Decodable { var cached_tokens: Int? }
                var prompt_tokens: Int?
                var completion_tokens: Int?
                var prompt_tokens_details: Details?
            }
            var choices: [Choice]
            var usage: Usage?
        }
        guard let r = try? JSONDecoder().decode(R.self, from: Data(raw.utf8)), let c = r.choices.first else { return nil }
        return Parsed(text: c.message.content ?? "", prompt: r.usage?.prompt_tokens ?? 0, cached: r.usage?.prompt_tokens_details?.cached_tokens ?? 0,
                      completion: r.usage?.completion_tokens ?? 0)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

/// A JSON value with a canonical rendering (sorted keys, no spaces), for cache keys.
enum CanonicalJSON: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    var canonical: String {
        switch self {
        case .string(let s): return Self.quote(s)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .array(let a): return "[" + a.map(\.canonical).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { Self.quote($0) + ":" + o[$0]!.canonical }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
