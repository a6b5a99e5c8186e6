import Foundation
import Glibc
import NIOCore
import NIOPosix
import PTBCore
import PTBJudge
import PTBEval
import PTBTasks
import Synchronization

/// The evaluation broker: the sealed sandbox's only way to evaluate a model. The agent's
/// `task/evaluate.py` sends one JSON line over a Unix socket, ptb (outside the sandbox) snapshots
/// the model directory, evaluates the snapshot with the same code as `ptb eval` on ptb's copy of
/// the data, and answers. For the test split the answer is the score only: no prompts,
/// completions, targets or per-sample verdicts reach the workspace (unless the run's feedback
/// mode is `original`, which writes the full samples to `task/eval_logs/<time>/` as the original
/// harness did). For the dev split (`EvalTask.devSamples`) the answer carries every sample in
/// full, also written to `task/eval_logs/<time>-dev/`. The samples stay in `<run>/broker/<n>/eval`.
///
/// Protocol (one request per connection):
///   client → `{"model_path": ABS_PATH, "split": "test"|"dev"?, "limit": Int?, "max_tokens": Int?, "max_connections": Int?}\n`
///   broker → `{"log": "..."}\n` … then `{"result": {...}}\n` or `{"error": "..."}\n`, then closes.
public struct EvalBroker: Sendable {
    public let harness: Harness
    public let task: any EvalTask
    public let runPaths: RunPaths
    /// The run's GPUs (the agent's claim), so evaluate.py's engine never lands on another run's.
    public let gpus: GPUPlacement
    public let socketPath: URL
    public let chatTemplate: URL?
    /// What a test-split evaluation leaves in the workspace.
    public let feedback: EvalFeedback
    /// Seconds between `{"log"}` lines while a request waits or evaluates.
    var heartbeatSeconds: Double = 5
    private let state = BrokerState()

    public init(harness: Harness, task: any EvalTask, runPaths: RunPaths, gpus: GPUPlacement, socketPath: URL, chatTemplate: URL?,
                feedback: EvalFeedback = .sealed) {
        self.feedback = feedback
        self.harness = harness
        self.task = task
        self.runPaths = runPaths
        self.gpus = gpus
        self.socketPath = socketPath
        self.chatTemplate = chatTemplate
    }

    /// Where each request's snapshot (`model`, removed after the evaluation) and evaluation
    /// output (`eval`: samples.jsonl with targets, metrics.json, engine logs) go.
    public var brokerDir: URL { runPaths.dir.appendingPathComponent("broker") }
    /// One line per request: time, model path and hash, limit, score, duration, error.
    public var requestLog: URL { runPaths.dir.appendingPathComponent("broker.jsonl") }

    /// Serves until the surrounding task is cancelled. Requests are evaluated one at a time, in
    /// arrival order; a request in flight is cancelled with the broker (its engine is stopped),
    /// and so is one whose client disconnects. Removes the socket file at the end.
    public func run() async throws {
        let path = socketPath.path
        guard path.utf8.count < 104 else {
            throw PTBError.invalidArgument("the broker socket path \(path) is too long for a Unix socket (at most 103 bytes).")
        }
        try FileManager.default.createDirectory(at: socketPath.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: brokerDir, withIntermediateDirectories: true)
        state.setNextRequest(Self.firstFreeRequestNumber(in: brokerDir))
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Half-closure: finishing the writer shuts the output down after pending writes.
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                                configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        // Only the broker's user may connect (the sandboxed agent runs as that user).
        chmod(path, 0o600)
        defer { Self.removeSocket(path) }
        harness.log("evaluation broker listening on \(path)")
        try await withTaskCancellationHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.handle(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    // MARK: - One connection

    private func handle(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let channel = connection.channel
        // Cancellation (the broker stopping) ends the wait on the input below, which cancels the
        // evaluation; its error line still goes out before the connection closes.
        do {
            try await connection.executeThenClose { inbound, outbound in
                let reply = BrokerReply(outbound: outbound, channel: channel)
                var input = inbound.makeAsyncIterator()
                let request: BrokerRequest
                do {
                    request = try BrokerRequest.parse(try await Self.readLine(&input))
                } catch {
                    let message = "\(error)"
                    self.appendLog(BrokerLogLine(ts: Date(), request: nil, split: nil, modelPath: nil, modelHash: nil, limit: nil, accuracy: nil,
                                                 stderr: nil, n: nil, seconds: 0, evalLog: nil, error: message))
                    await reply.send(["error": message])
                    reply.finish()
                    while (try? await input.next()) != nil {}
                    return
                }
                // The evaluation runs in its own task; the client hanging up (the end of its
                // input) cancels it. After the answer, the client closes (or is closed after 10 s).
                let work = Task {
                    await self.serve(request, reply: reply)
                    reply.finish()
                }
                while (try? await input.next()) != nil {}
                work.cancel()
                await work.value
            }
        } catch {
            channel.close(promise: nil)
        }
    }

    /// Reads bytes up to the first newline (or the end of the stream).
    private static func readLine(_ input: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> String {
        var bytes: [UInt8] = []
        while var chunk = try await input.next() {
            if let view = chunk.readBytes(length: chunk.readableBytes) { bytes += view }
            if let nl = bytes.firstIndex(of: 0x0A) { return String(decoding: bytes[..<nl], as: UTF8.self) }
            if bytes.count > 1 << 16 { throw BrokerError("the request is longer than 64 KiB; send one JSON object on one line.") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - One request

    private func serve(_ request: BrokerRequest, reply: BrokerReply) async {
        let started = Date()
        let number = state.takeRequestNumber()
        let dir = brokerDir.appendingPathComponent(String(number))
        let snapshotDir = dir.appendingPathComponent("model")
        var logLine = BrokerLogLine(ts: started, request: number, split: request.split.rawValue, modelPath: request.modelPath, modelHash: nil,
                                    limit: request.limit, accuracy: nil, stderr: nil, n: nil, seconds: 0, evalLog: nil, error: nil)
        var hashing: Task<String?, Never>?
        do {
            let devItems = try request.split == .dev ? devSamples() : nil
            // Snapshot at request time: the model the agent asked about, even if it keeps training.
            let snapshot = try ModelSnapshot.take(modelPath: request.modelPath, workspace: runPaths.workspace, into: snapshotDir)
            await reply.log("request \(number): snapshot of \(request.modelPath) taken (\(snapshot.files.count) files, \(Self.bytes(snapshot.totalBytes)))")
            hashing = Task.detached(priority: .utility) { try? ModelSnapshot.hash(snapshotDir) }

            let ahead = state.pendingCount
            if ahead > 0 { await reply.log("request \(number): waiting for \(ahead) earlier evaluation(s) to finish") }
            try await state.gate.acquire(every: heartbeatSeconds) { waited in
                await reply.log("request \(number): still waiting for an earlier evaluation (\(Int(waited)) s)")
            }
            defer { state.gate.release() }
            try Task.checkCancellation()

            let on = request.split == .dev ? "\(task.id)'s dev split" : task.id
            await reply.log("request \(number): evaluating on \(on)\(request.limit.map { " (limit \($0))" } ?? ""); starting the engine")
            let progress = EvalProgress()
            let evalStart = Date()
            defer { logLine.evalSeconds = (Date().timeIntervalSince(evalStart) * 1000).rounded() / 1000 }
            let metrics = try await withHeartbeat(every: heartbeatSeconds, { elapsed in
                if let p = progress.current {
                    await reply.log("request \(number): evaluating: \(p.done)/\(p.total) samples (\(Int(elapsed)) s)")
                } else {
                    await reply.log("request \(number): evaluating (\(Int(elapsed)) s)")
                }
            }) {
                try await self.evaluate(snapshotDir, request: request, samples: devItems, outputDir: dir.appendingPathComponent("eval")) { done, total in
                    progress.set(done, total)
                }
            }
            logLine.modelHash = await hashing?.value
            if let changed = snapshot.changedFiles().first {
                throw BrokerError("\(changed) in \(request.modelPath) was modified while it was being evaluated (the snapshot shares its files with the workspace), so the score may belong to a half-written model. Write new checkpoints to a new directory, or wait for evaluate.py to return before saving over the model, and evaluate again.")
            }
            logLine.accuracy = metrics.accuracy
            logLine.stderr = metrics.stderr
            logLine.n = metrics.n
            let evalDir = dir.appendingPathComponent("eval")
            // The dev split always, the test split only in `original` mode: the full samples in
            // the workspace, where the original harness's evaluate.py left its logs.
            if request.split == .dev || feedback == .original {
                do {
                    logLine.evalLog = "task/" + (try EvalLogWriter.write(from: evalDir, metrics: metrics, split: request.split, workspace: runPaths.workspace,
                                                                          name: EvalLogWriter.directoryName(started, split: request.split)))
                } catch {
                    await reply.log("request \(number): the samples could not be written to task/eval_logs (\(error))")
                }
            }
            var result = request.split == .dev
                ? Self.devResult(metrics, samples: evalDir.appendingPathComponent("samples.jsonl"), modelHash: logLine.modelHash)
                : Self.result(metrics, samples: evalDir.appendingPathComponent("samples.jsonl"), modelHash: logLine.modelHash)
            // Relative to task/, where evaluate.py lives: the sandbox may show the workspace elsewhere.
            result["eval_log"] = logLine.evalLog.map { String($0.dropFirst("task/".count)) as Any } ?? NSNull()
            await reply.send(["result": result])
        } catch let error where error is CancellationError || Task.isCancelled {
            logLine.error = "cancelled (the client disconnected or the agent phase ended)"
            await reply.send(["error": "the evaluation was cancelled (the agent phase ended or the client disconnected)."])
        } catch {
            let message = Self.message(for: error, snapshot: snapshotDir.path, modelPath: request.modelPath)
            logLine.error = message
            await reply.send(["error": message])
        }
        if logLine.modelHash == nil, let hashing { logLine.modelHash = await hashing.value }
        // The scores stay in eval/; the snapshot would keep every evaluated checkpoint on disk.
        try? FileManager.default.removeItem(at: snapshotDir)
        logLine.seconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
        appendLog(logLine)
    }

    private func evaluate(_ modelDir: URL, request: BrokerRequest, samples: [Sample]?, outputDir: URL,
                          progress: @escaping @Sendable (Int, Int) -> Void) async throws -> EvalMetrics {
        try FileManager.default.createDirectory(at: outputDir, withIntermediateDirectories: true)
        var eval = StandaloneEval(taskID: task.id, modelPath: modelDir, endpoint: nil, servedModel: nil, apiKey: nil,
                                  chatTemplate: chatTemplate, limit: request.limit, maxTokens: request.maxTokens,
                                  maxConnections: request.maxConnections, temperature: nil, seed: nil, epochs: 1, gpus: gpus,
                                  outputDir: outputDir, jsonOutputFile: nil, retryLadder: false)
        eval.samples = samples
        eval.onProgress = progress
        // Judged tasks: the run's judge settings (endpoint, model, budget…), with the key read
        // from ptb's own environment here, outside the sandbox; it never reaches the agent.
        if task.scoring == .judged, let spec = try? RunStore.load(runPaths).spec, spec.scoringJudge != nil {
            eval.judge = try JudgeConfig.from(spec.scoringJudge, home: harness.home, env: harness.environment)
        }
        return try await eval.run(harness: harness)
    }

    /// The task's dev split, or an error that says why there is none.
    private func devSamples() throws -> [Sample] {
        guard let samples = try task.devSamples(home: harness.home) else {
            throw BrokerError("task \(task.id) has no dev split: \(task.devSplitNote) Evaluate on the test split instead (--split test, the default), which returns the score only.")
        }
        guard !samples.isEmpty else { throw BrokerError("task \(task.id)'s dev split is empty.") }
        return samples
    }

    /// What the agent learns: the score and, per sample, diagnostics that reveal no answer.
    static func result(_ m: EvalMetrics, samples url: URL, modelHash: String?) -> [String: Any] {
        var samples: [[String: Any]] = []
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            for (i, line) in text.split(separator: "\n").enumerated() {
                guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
                var s: [String: Any] = ["index": i]
                var error: String?
                if let judged = o["judged"] as? [String: Any] {
                    s["parsed"] = o["completion"] as? String != ""
                    if judged["score"] == nil || judged["score"] is NSNull { error = "not judged (no verdict)" }
                } else {
                    s["parsed"] = o["answer"] != nil && !(o["answer"] is NSNull)
                }
                s["error"] = error ?? NSNull()
                s["finish_reason"] = o["finishReason"] ?? NSNull()
                s["prompt_tokens"] = o["promptTokens"] ?? NSNull()
                s["completion_tokens"] = o["completionTokens"] ?? NSNull()
                samples.append(s)
            }
        }
        return ["task": m.task, "split": BrokerRequest.Split.test.rawValue, "accuracy": m.accuracy, "stderr": m.stderr, "n": m.n,
                "samples": samples, "model_hash": modelHash ?? NSNull()]
    }

    /// The dev split's answer: every sample in full (prompt, completion, target, verdict).
    static func devResult(_ m: EvalMetrics, samples url: URL, modelHash: String?) -> [String: Any] {
        var samples: [[String: Any]] = []
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            for (i, line) in text.split(separator: "\n").enumerated() {
                guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
                samples.append(["index": i, "id": o["id"] ?? NSNull(), "prompt": o["prompt"] ?? NSNull(),
                                "completion": o["completion"] ?? NSNull(), "target": o["target"] ?? NSNull(),
                                "answer": o["answer"] ?? NSNull(), "correct": o["correct"] ?? NSNull(), "score": o["score"] ?? NSNull(),
                                "finish_reason": o["finishReason"] ?? NSNull(), "prompt_tokens": o["promptTokens"] ?? NSNull(),
                                "completion_tokens": o["completionTokens"] ?? NSNull()])
            }
        }
        return ["task": m.task, "split": BrokerRequest.Split.dev.rawValue, "accuracy": m.accuracy, "stderr": m.stderr, "n": m.n,
                "samples": samples, "model_hash": modelHash ?? NSNull()]
    }

    static func message(for error: any Error, snapshot: String, modelPath: String) -> String {
        var s = "\(error)"
        s = s.replacingOccurrences(of: snapshot, with: modelPath)
        if s.contains("engine") { s += " (engine logs stay in the run directory, outside the sandbox)" }
        return s
    }

    private func appendLog(_ line: BrokerLogLine) {
        guard let text = try? JSONIO.line(line), let appender = try? LineAppender(url: requestLog) else {
            harness.log("evaluation broker: cannot write \(requestLog.path)")
            return
        }
        appender.append(text)
    }

    static func firstFreeRequestNumber(in dir: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return (names.compactMap(Int.init).max() ?? 0) + 1
    }

    static func removeSocket(_ path: String) {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 30 ? String(format: "%.1f GiB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20)) : "\(n) bytes"
    }
}

/// Runs `body`, calling `tick` with the elapsed seconds every `interval` until it returns.
private func withHeartbeat<T: Sendable>(every interval: Double, _ tick: @escaping @Sendable (Double) async -> Void,
                                        _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let start = Date()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            while true {
                try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                await tick(Date().timeIntervalSince(start))
            }
        }
        defer { group.cancelAll() }
        while let r = try await group.next() {
            if let r { return r }
        }
        throw CancellationError()
    }
}

// MARK: - Request, reply, log line

struct BrokerError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

struct BrokerRequest: Sendable, Equatable {
    enum Split: String, Sendable, CaseIterable {
        /// Scored on ptb's test data; only the score and answer-free diagnostics come back.
        case test
        /// The task's dev split (`EvalTask.devSamples`); every sample comes back in full.
        case dev
    }
    var modelPath: String
    var split: Split = .test
    var limit: Int?
    var maxTokens: Int?
    var maxConnections: Int?

    static let usage = #"send one JSON line: {"model_path": "/absolute/path/in/the/workspace", "split": "test" or "dev", "limit": N, "max_tokens": N, "max_connections": N} (all but model_path optional)"#

    static func parse(_ line: String) throws -> BrokerRequest {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw BrokerError("empty request; \(usage).") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) else {
            throw BrokerError("the request is not valid JSON; \(usage).")
        }
        guard let o = object as? [String: Any] else { throw BrokerError("the request must be a JSON object; \(usage).") }
        let known: Set<String> = ["model_path", "split", "limit", "max_tokens", "max_connections"]
        if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
            throw BrokerError("unknown request field \"\(unknown)\"; \(usage).")
        }
        struct Fields: Decodable {
            var model_path: String?
            var split: String?
            var limit: Int?
            var max_tokens: Int?
            var max_connections: Int?
        }
        let f: Fields
        do { f = try JSONDecoder().decode(Fields.self, from: Data(trimmed.utf8)) } catch {
            throw BrokerError("model_path and split must be strings and limit, max_tokens, max_connections integers; \(usage).")
        }
        guard let path = f.model_path, !path.isEmpty else { throw BrokerError("model_path is missing; \(usage).") }
        guard path.hasPrefix("/") else { throw BrokerError("model_path must be an absolute path (got \(path)).") }
        if let m = f.max_tokens, m < 1 { throw BrokerError("max_tokens must be positive (got \(m)).") }
        if let m = f.max_connections, m < 1 { throw BrokerError("max_connections must be positive (got \(m)).") }
        let split = try f.split.map { (s: String) throws -> Split in
            guard let v = Split(rawValue: s) else { throw BrokerError("split must be \"test\" or \"dev\" (got \"\(s)\").") }
            return v
        } ?? .test
        if let l = f.limit, l == 0 || l < -1 { throw BrokerError("limit must be positive, or -1 for the whole \(split.rawValue) split (got \(l)).") }
        return BrokerRequest(modelPath: path, split: split, limit: f.limit, maxTokens: f.max_tokens, maxConnections: f.max_connections)
    }
}

/// Writes JSON lines to the client; a client that has gone away is ignored.
struct BrokerReply: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel

    func log(_ text: String) async { await send(["log": text]) }

    func send(_ object: [String: Any]) async {
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        let buffer = ByteBuffer(bytes: data)
        // In a task of its own: a cancelled request still tells its client that it was cancelled
        // (the writer refuses writes from a cancelled task).
        let outbound = self.outbound
        await Task { try? await outbound.write(buffer) }.value
    }

    /// Ends the answer: the socket's output is shut down once everything is written; a client
    /// that does not close its end within 10 s is disconnected.
    func finish() {
        outbound.finish()
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
    }
}

/// One line of `broker.jsonl`. Every key is written (null when unknown).
struct BrokerLogLine: Encodable {
    var ts: Date
    var request: Int?
    /// "test" or "dev" (nil: the request could not be read): only test requests query the benchmark.
    var split: String?
    var modelPath: String?
    var modelHash: String?
    var limit: Int?
    var accuracy: Double?
    var stderr: Double?
    var n: Int?
    var seconds: Double
    /// Of `seconds`, the evaluation itself (the code `ptb eval` runs: engine start, generation,
    /// scoring); the rest is the broker's own cost (snapshot, queue, reply), as measured for
    /// the overhead figure in BENCHMARKS.md.
    var evalSeconds: Double? = nil
    /// The samples' copy in the workspace (dev split, or `--eval-feedback original`), else nil.
    var evalLog: String?
    var error: String?

    // camelCase as every JSON file ptb writes; lines before that rule said model_path,
    // model_hash, eval_log and eval_seconds, and readers take both (JSONKeys.value).
    enum CodingKeys: String, CodingKey {
        case ts, request, split, limit, accuracy, stderr, n, seconds, error, modelPath, modelHash, evalLog, evalSeconds
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Timestamps.isoMillis(ts), forKey: .ts)
        try c.encode(request, forKey: .request)
        try c.encode(split, forKey: .split)
        try c.encode(modelPath, forKey: .modelPath)
        try c.encode(modelHash, forKey: .modelHash)
        try c.encode(limit, forKey: .limit)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(stderr, forKey: .stderr)
        try c.encode(n, forKey: .n)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(evalSeconds, forKey: .evalSeconds)
        try c.encode(evalLog, forKey: .evalLog)
        try c.encode(error, forKey: .error)
    }
}

// MARK: - Queue

/// Samples scored so far by the evaluation in flight, for the heartbeat lines.
final class EvalProgress: Sendable {
    private let value = Mutex<(done: Int, total: Int)?>(nil)
    var current: (done: Int, total: Int)? { value.withLock { $0 } }
    func set(_ done: Int, _ total: Int) { value.withLock { $0 = (done, total) } }
}

/// Request numbering and the one-at-a-time gate.
final class BrokerState: Sendable {
    let gate = AsyncGate()
    private let next = Mutex(1)

    func setNextRequest(_ n: Int) { next.withLock { $0 = n } }
    func takeRequestNumber() -> Int { next.withLock { v in defer { v += 1 }; return v } }
    /// Requests holding or waiting for the gate.
    var pendingCount: Int { gate.count }
}

/// A FIFO async mutex whose waiters can be cancelled.
final class AsyncGate: Sendable {
    private struct State {
        var busy = false
        var nextID = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let state = Mutex(State())

    var count: Int { state.withLock { ($0.busy ? 1 : 0) + $0.waiters.count } }

    /// Waits for the gate, calling `waiting` with the seconds waited every `interval` meanwhile.
    func acquire(every interval: Double, _ waiting: @escaping @Sendable (Double) async -> Void) async throws {
        let id = state.withLock { s in defer { s.nextID += 1 }; return s.nextID }
        let start = Date()
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                await waiting(Date().timeIntervalSince(start))
            }
        }
        defer { ticker.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resume: Bool? = state.withLock { s in
                    if Task.isCancelled { return false }
                    if !s.busy { s.busy = true; return true }
                    s.waiters.append((id, c))
                    return nil
                }
                switch resume {
                case true?: c.resume()
                case false?: c.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            w?.resume(throwing: CancellationError())
        }
    }

    func release() {
        let w = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty { s.busy = false; return nil }
            return s.waiters.removeFirst().continuation
        }
        w?.resume()
    }
}

// MARK: - Snapshot

/// A copy of a model directory of the workspace, made of hard links (copies across file systems),
/// taken without following any symlink that leaves the workspace (`ConfinedTree`).
struct ModelSnapshot: Sendable {
    typealias File = ConfinedTree.File
    var root: URL
    var files: [File]
    var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }

    /// Validates `modelPath` (absolute, resolving inside `workspace`) and materialises it in `dest`.
    static func take(modelPath: String, workspace: URL, into dest: URL) throws -> ModelSnapshot {
        ModelSnapshot(root: dest, files: try ConfinedTree(root: workspace).materialize(modelPath, into: dest, mode: .link))
    }

    /// The snapshot's files whose size or modification time changed since it was taken.
    func changedFiles() -> [String] {
        files.compactMap { f in
            var st = stat()
            guard lstat(root.appendingPathComponent(f.path).path, &st) == 0 else { return f.path }
            return st.st_size == f.size && st.st_mtim.tv_sec == f.mtimeSec && st.st_mtim.tv_nsec == f.mtimeNsec ? nil : f.path
        }
    }

    /// sha256 over the sorted `path\thash\n` lines of the snapshot's files.
    static func hash(_ dir: URL) throws -> String {
        let tree = try Hashing.tree(dir)
        return Hashing.sha256(Data(tree.keys.sorted().map { "\($0)\t\(tree[$0]!)\n" }.joined().utf8))
    }
}
