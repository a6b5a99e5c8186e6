import Foundation
import PTBCore
import PTBInference
import PTBJudge
import PTBTasks

public enum JudgedEvalError: Error, CustomStringConvertible {
    case noStoredAnswers(path: String)
    case missingAnswers(ids: [String], path: String)

    public var description: String {
        switch self {
        case .noStoredAnswers(let p):
            "--skip-generation re-judges stored answers, but \(p) does not exist; run without --skip-generation first (same --output-dir)."
        case let .missingAnswers(ids, p):
            "\(p) has no answer for \(ids.count) selected sample(s) (first: \(ids[0])); use the same --limit as the run that generated them."
        }
    }
}

/// Judge-scored tasks on the evaluation engine: generate (or reuse stored) answers, then judge.
///
/// Files in the output directory: `samples.jsonl` (written after generation, rewritten with the
/// verdicts), `judge_calls.jsonl` (every judge request and raw response, cached or not),
/// `metrics.json` (with the judge's ledger; `complete: false` when the budget stopped judging).
public struct JudgedEvaluation: Sendable {
    public var task: any JudgedTask
    public var home: PTBHome

    public init(task: any JudgedTask, home: PTBHome) {
        self.task = task
        self.home = home
    }

    public func run(client: ChatClient?, options: EvalOptions, engineName: String, modelLabel: String) async throws -> EvalMetrics {
        let started = Date()
        var samples = try options.samples ?? task.samples(home: home)
        if let l = options.limit, l >= 0 { samples = Array(samples.prefix(l)) }
        guard !samples.isEmpty else { throw EvalError.noSamples(task.id) }
        let judgeConfig = try options.judge ?? JudgeConfig.fromEnvironment(home: home)
        try judgeConfig.validate()
        try FileManager.default.createDirectory(at: options.outputDir, withIntermediateDirectories: true)
        let samplesURL = options.outputDir.appendingPathComponent("samples.jsonl")
        let params = SamplingParams(maxTokens: options.maxTokens, temperature: options.temperature, seed: options.seed)

        var records: [SampleRecord]
        if options.skipGeneration || client == nil {
            records = try Self.storedRecords(samplesURL, for: samples)
        } else {
            records = try await generate(samples, client: client!, params: params, options: options)
            try Self.write(records, to: samplesURL)
        }

        let judge = try JudgeClient(config: judgeConfig, callLog: options.outputDir.appendingPathComponent("judge_calls.jsonl"))
        let outcome = try await Self.judge(task: task, records: records, samples: samples, judge: judge, showProgress: options.showProgress)
        for (i, j) in outcome.samples.enumerated() {
            records[i].judged = j
            records[i].score = j.score ?? 0
            records[i].correct = (j.score ?? 0) > 0.5
        }
        try Self.write(records, to: samplesURL)
        let summary = await judge.summary()
        try JSONIO.write(summary, to: options.outputDir.appendingPathComponent("judge_ledger.json"))
        let m = outcome.metrics
        let metrics = EvalMetrics(accuracy: m.accuracy, stderr: m.stderr, task: task.id, n: m.nScored, correct: records.filter(\.correct).count,
                                  epochs: 1, matchMode: "judge", sampling: params, engine: engineName, model: modelLabel,
                                  startedAt: started, endedAt: Date(), nExamples: m.nExamples, totalGraderCalls: m.totalGraderCalls,
                                  byTheme: m.byTheme, byAxis: m.byAxis, winRate: m.winRate, outcomes: m.outcomes, complete: m.complete,
                                  judge: summary)
        try JSONIO.write(metrics, to: options.outputDir.appendingPathComponent("metrics.json"))
        return metrics
    }

    /// Judges stored answers (records in sample order), with a progress line on stderr.
    public static func judge(task: any JudgedTask, records: [SampleRecord], samples: [Sample], judge: JudgeClient,
                             showProgress: Bool) async throws -> JudgedOutcome {
        let items = zip(samples, records).map { (sample: $0, answer: $1.answer ?? task.postprocess($1.completion)) }
        let progress = ProgressLine(.open, label: task.id, enabled: showProgress)
        return await task.judge(items, with: judge) { progress.step() }
    }

    /// Answers one at a time, as the original (it sends the questions sequentially), unless
    /// `--max-connections` asks for more.
    func generate(_ samples: [Sample], client: ChatClient, params: SamplingParams, options: EvalOptions) async throws -> [SampleRecord] {
        let progress = ProgressLine(.open, label: "\(task.id) generation", enabled: options.showProgress)
        let task = self.task
        return try await SampleRunner(width: options.maxConnections).map(samples.count, onResult: { _, _ in progress.step() }) { i in
            let sample = samples[i]
            let c = try await client.complete(sample.messages, params: params)
            return SampleRecord(id: sample.id, epoch: 1, prompt: sample.messages, completion: c.text, target: sample.target,
                                answer: task.postprocess(c.text), correct: false, score: 0, finishReason: c.finishReason,
                                promptTokens: c.promptTokens, completionTokens: c.completionTokens, latencySeconds: c.latencySeconds)
        }
    }

    static func storedRecords(_ url: URL, for samples: [Sample]) throws -> [SampleRecord] {
        guard FileManager.default.fileExists(atPath: url.path) else { throw JudgedEvalError.noStoredAnswers(path: url.path) }
        let text = try String(contentsOf: url, encoding: .utf8)
        var byID: [String: SampleRecord] = [:]
        for line in text.split(separator: "\n") where !line.isEmpty {
            let r = try JSONIO.decoder().decode(SampleRecord.self, from: Data(line.utf8))
            byID[r.id] = r
        }
        let missing = samples.map(\.id).filter { byID[$0] == nil }
        guard missing.isEmpty else { throw JudgedEvalError.missingAnswers(ids: missing, path: url.path) }
        return samples.map { byID[$0.id]! }
    }

    static func write(_ records: [SampleRecord], to url: URL) throws {
        try AtomicFile.write(try records.map { try JSONIO.line($0) }.joined(separator: "\n") + "\n", to: url)
    }
}

/// `ptb score` for judge-scored tasks: completions from a file, judged (or served from the cache).
public struct JudgedScoreSummary: Codable, Sendable {
    public var task: String
    public var n: Int
    public var accuracy: Double
    public var stderr: Double
    public var metrics: JudgedMetrics
    public var judge: JudgeSummary
}

extension JudgedEvaluation {
    public func score(_ lines: [CompletionLine], judge config: JudgeConfig, callLog: URL,
                      showProgress: Bool = true) async throws -> (lines: [ScoredLine], summary: JudgedScoreSummary) {
        try config.validate()
        var byID: [String: Sample] = [:]
        let all = try task.samples(home: home)
        for s in all { byID[s.id] = s }
        var samples: [Sample] = []
        for l in lines {
            guard let s = byID[l.id] else {
                throw OfflineScoringError.unknownID(task: task.id, id: l.id, line: l.lineNumber, example: all.first?.id, numeric: false)
            }
            samples.append(s)
        }
        let records = zip(lines, samples).map { l, s in
            SampleRecord(id: l.id, epoch: 1, prompt: s.messages, completion: l.completion, target: "", answer: task.postprocess(l.completion),
                         correct: false, score: 0, finishReason: nil, promptTokens: nil, completionTokens: nil, latencySeconds: 0)
        }
        let client = try JudgeClient(config: config, callLog: callLog)
        let outcome = try await Self.judge(task: task, records: records, samples: samples, judge: client, showProgress: showProgress)
        let scored = outcome.samples.map { j in
            ScoredLine(id: j.id, correct: (j.score ?? 0) > 0.5, score: j.score ?? 0, answer: nil, target: "", matchMode: nil, result: nil,
                       explanation: j.judgements.map { "\($0.name)=\($0.outcome)" }.joined(separator: " "))
        }
        let m = outcome.metrics
        return (scored, JudgedScoreSummary(task: task.id, n: m.nScored, accuracy: m.accuracy, stderr: m.stderr, metrics: m,
                                           judge: await client.summary()))
    }
}
