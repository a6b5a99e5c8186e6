import Foundation
import PTBCore

/// `arenahardwriting`: the 250 creative-writing questions of Arena-Hard v2.0, judged pairwise
/// against the stored Qwen3-1.7B answers (§2.8). Two games per question with A/B swapped; the
/// candidate's score is its weighted win rate against the baseline.
public struct ArenaHardWritingTask: JudgedTask {
    public let id = "arenahardwriting"
    public let benchmarkName = "Arena-Hard-v2.0 (Writing)"
    public let defaults = TaskDefaults(limit: 32, maxTokens: 16384, maxConnections: 1, gpuMemoryUtilization: 0.9,
                                       retryMaxTokens: [12288, 8192])
    public let leaderboardName = "ArenaHard Writing"
    public let paperWeight: Double? = 0.0903518275042778
    public let inspectNote = false
    public let testDataMarkers = ["arena-hard", "arena_hard", "arenahard"]
    public let dataSplits = ["question", "baseline"]
    public let upstreamRows = ["question": 250, "baseline": 250]
    public let pinnedFiles = [
        PinnedFile(split: "question", url: "\(DataSources.postTrainBench)/arenahardwriting/evaluation_code/data/arena-hard-v2.0/question.jsonl",
                   sha256: "f337df1022d723b2062bcc530e8e7fbc367548c31fbc87d0ae668f0b6c7609a5"),
        PinnedFile(split: "baseline", url: "\(DataSources.postTrainBench)/arenahardwriting/evaluation_code/data/arena-hard-v2.0/model_answer/Qwen3-1.7B.jsonl",
                   sha256: "87a72bb89edfd05fc8dd32152750649e1bab60ba1b62ebcd055610a729023c30"),
    ]
    public let dataSource = "Arena-Hard v2.0 creative-writing question.jsonl (split question) and model_answer/Qwen3-1.7B.jsonl "
        + "(split baseline), as PostTrainBench ships them (`ptb data pull arenahardwriting` fetches both)"

    /// The original's judge parameters for gpt-5-mini.
    public static let judgeMaxCompletionTokens = 49152
    public static let judgeReasoningEffort = "medium"
    public static let baselineModel = "Qwen3-1.7B"

    public init() {}

    public struct Question: Codable, Sendable, Equatable {
        public var uid: String
        public var category: String?
        public var subcategory: String?
        public var prompt: String
    }

    public struct BaselineAnswer: Codable, Sendable, Equatable {
        public var uid: String
        public var model: String
        public var answer: String
    }

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        switch split {
        case "question":
            return try JSONLines.decode(Question.self, from: data, file: fileName).map { try JSONLines.encode($0) }
        default:
            // Arena-Hard's answer record: messages[-1].content.answer is the answer text.
            struct Raw: Decodable {
                struct Message: Decodable {
                    struct Content: Decodable { var answer: String }
                    var role: String
                    var content: Content?
                    enum CodingKeys: String, CodingKey { case role, content }
                    init(from d: any Decoder) throws {
                        let c = try d.container(keyedBy: CodingKeys.self)
                        role = try c.decode(String.self, forKey: .role)
                        content = try? c.decode(Content.self, forKey: .content)
                    }
                }
                var uid: String
                var model: String
                var messages: [Message]
            }
            return try JSONLines.decode(Raw.self, from: data, file: fileName).enumerated().map { i, r in
                guard let last = r.messages.last, last.role == "assistant", let answer = last.content?.answer else {
                    throw TaskDataError.badRecord(file: fileName, line: i + 1, reason: "the last message is not an assistant answer {\"answer\": …}")
                }
                return try JSONLines.encode(BaselineAnswer(uid: r.uid, model: r.model, answer: answer))
            }
        }
    }

    /// Questions in the original's order (`random.Random(42).shuffle`), each with its baseline
    /// answer in the metadata.
    public func samples(home: PTBHome) throws -> [Sample] {
        let store = TaskDataStore(home: home)
        var questions = try store.rows(Question.self, task: self, split: "question")
        let baseline = try store.rows(BaselineAnswer.self, task: self, split: "baseline")
        var answers: [String: String] = [:]
        for b in baseline { answers[b.uid] = b.answer }
        var rng = PythonRandom(seed: 42)
        rng.shuffle(&questions)
        return try questions.map { q in
            guard let a = answers[q.uid] else {
                throw TaskDataError.badRecord(file: store.file(id, split: "baseline").path, line: 0,
                                              reason: "no baseline answer for question \(q.uid)")
            }
            return Sample(id: q.uid, messages: [ChatMessage(role: "user", content: q.prompt)], target: "", metadata: ["baseline": a])
        }
    }

    /// How the task is judged, for the agent: the original hands its agents the evaluation code;
    /// ptb's evaluator runs outside the sandbox, so the agent gets this description instead.
    public func contextFiles() throws -> [String: String] {
        ["JUDGING.md": """
            # How Arena-Hard-v2.0 (Writing) is scored here

            - The test set is Arena-Hard v2.0's 250 creative-writing questions. Each is a single user
              turn; your model answers it.
            - Generation: your `final_model` is served with vLLM and the task's chat template
              (see `templates/`), up to \(defaults.maxTokens) new tokens, the model's own
              `generation_config.json` for sampling. A leading `<think>…</think>` block is removed
              from the answer, and runs of repeated lines are cut to 5 copies, before judging.
            - Judging: an LLM judge (by default `gpt-5-mini`) compares your answer with a fixed
              baseline answer (Qwen3-1.7B's) using Arena-Hard's creative-writing judge prompt, twice:
              once with the baseline as assistant A, once as assistant B. Its verdict is the last
              `[[A>>B]]`-style label (`A>>B`, `A>B`, `A=B`, `B>A`, `B>>A`).
            - Score: each game gives your answer a value per verdict (win 1, tie 0.5, loss 0); a
              strong verdict (`>>`) counts three times. The task score is the mean of all these
              values over all games; a question whose games could not be judged is left out and
              counted. The baseline itself scores 0.5.
            - `python evaluate.py --limit N` asks ptb to run exactly this on N questions; the judge's
              API key stays with ptb, outside your sandbox. Each call costs real judge tokens, so
              prefer small limits while you iterate.
            """]
    }

    public var devSplitNote: String { "The 250 creative-writing questions are all test items; ptb imports no other Arena-Hard questions." }

    // MARK: judge prompt (Arena-Hard v2.0 `JUDGE_SETTINGS["creative_writing"]` and its prompt template)
    // Part of the benchmark's definition (arena-hard-auto, Apache-2.0), so kept verbatim: a reworded
    // prompt would be another benchmark.

    public static let systemPrompt = "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user prompt displayed below. You will be given assistant A's answer and assistant B's answer. Your job is to evaluate which assistant's answer is better.\n\nWhen evaluating the assistants' answers, compare both assistants' answers. You must identify and correct any mistakes or inaccurate information.\n\nThen consider if the assistant's answers are helpful, relevant, and concise. Helpful means the answer correctly responds to the prompt or follows the instructions. Note when user prompt has any ambiguity or more than one interpretation, it is more helpful and appropriate to ask for clarifications or more information from the user than providing an answer based on assumptions. Relevant means all parts of the response closely connect or are appropriate to what is being asked. Concise means the response is clear and not verbose or excessive.\n\nThen consider the creativity and novelty of the assistant's answers when needed. Finally, identify any missing important information in the assistants' answers that would be beneficial to include when responding to the user prompt.\n\nAfter providing your explanation, you must output only one of the following choices as your final verdict with a label:\n\n1. Assistant A is significantly better: [[A>>B]]\n2. Assistant A is slightly better: [[A>B]]\n3. Tie, relatively the same: [[A=B]]\n4. Assistant B is slightly better: [[B>A]]\n5. Assistant B is significantly better: [[B>>A]]\n\nExample output: \"My final verdict is tie: [[A=B]]\"."

    public static func userPrompt(question: String, answerA: String, answerB: String) -> String {
        "<|User Prompt|>\n\(question)\n\n<|The Start of Assistant A's Answer|>\n\(answerA)\n<|The End of Assistant A's Answer|>\n\n"
            + "<|The Start of Assistant B's Answer|>\n\(answerB)\n<|The End of Assistant B's Answer|>"
    }

    // MARK: verdicts and scores

    /// `get_score`: the first pattern with any match wins, and its last match is the verdict.
    public static func verdict(_ judgment: String) -> String? {
        let upper = judgment.uppercased()
        for pattern in [#"\[\[([AB<>=]+)\]\]"#, #"\[([AB<>=]+)\]"#] {
            guard let re = PythonText.regex(pattern) else { continue }
            let matches = PythonText.findAll(re, upper)
            if let last = matches.last { return last }
        }
        return nil
    }

    /// Weight-3 label map (`_judgments_to_battles`): the score of assistant A's side.
    public static let labelScores: [String: [Double]] = [
        "A>B": [1], "A>>B": [1, 1, 1], "A=B": [0.5], "A<<B": [0, 0, 0], "A<B": [0],
        "B>A": [0], "B>>A": [0, 0, 0], "B=A": [0.5], "B<<A": [1, 1, 1], "B<A": [1],
    ]

    /// The candidate's values for one question: game 1 has the baseline as A (so 1 − s), game 2
    /// has the candidate as A. nil when either game has no usable verdict (the question is dropped).
    public static func candidateValues(game1: String?, game2: String?) -> [Double]? {
        guard let g1 = game1, let s1 = labelScores[g1], let g2 = game2, let s2 = labelScores[g2] else { return nil }
        return s1.map { 1 - $0 } + s2
    }

    /// accuracy = mean of all exploded values, stderr = std(ddof=1)/√n (0 for n ≤ 1).
    public static func aggregate(_ perQuestion: [[Double]]) -> (accuracy: Double, stderr: Double, values: [Double]) {
        let values = perQuestion.flatMap { $0 }
        guard !values.isEmpty else { return (0, 0, []) }
        return (JudgedStats.mean(values), Statistics.stderr(values), values)
    }

    // MARK: judging

    public func judge(_ items: [(sample: Sample, answer: String)], with judge: any JudgeService,
                      progress: @escaping @Sendable () -> Void) async -> JudgedOutcome {
        let options = JudgeCallOptions(maxCompletionTokens: judge.maxTokensOverride ?? Self.judgeMaxCompletionTokens,
                                       reasoningEffort: Self.judgeReasoningEffort)
        let games: [JudgementRecord] = await SampleRunner.unbounded.mapAll(items.count * 2) { k in
            let (sample, answer) = items[k / 2]
            let baseline = sample.metadata?["baseline"] ?? ""
            let question = sample.messages.last?.content ?? ""
            let first = k % 2 == 0
            let name = first ? "game1" : "game2"
            let user = first ? Self.userPrompt(question: question, answerA: baseline, answerB: answer)
                             : Self.userPrompt(question: question, answerA: answer, answerB: baseline)
            defer { progress() }
            do {
                let text = try await judge.complete([ChatMessage(role: "system", content: Self.systemPrompt), ChatMessage(role: "user", content: user)],
                                                    options: options, tag: "\(sample.id)/\(name)")
                guard let v = Self.verdict(text) else {
                    return JudgementRecord(name: name, outcome: "unparseable", points: nil, detail: nil, judgeText: text)
                }
                guard Self.labelScores[v] != nil else {
                    return JudgementRecord(name: name, outcome: "unparseable", points: nil, detail: "unknown label \(v)", judgeText: text)
                }
                return JudgementRecord(name: name, outcome: v, points: nil, detail: nil, judgeText: text)
            } catch JudgeCallError.budgetExhausted {
                return JudgementRecord(name: name, outcome: "not_judged", points: nil, detail: "judge budget exhausted", judgeText: nil)
            } catch {
                return JudgementRecord(name: name, outcome: "judge_error", points: nil, detail: "\(error)", judgeText: nil)
            }
        }
        var samples: [JudgedSample] = []
        var perQuestion: [[Double]] = []
        var outcomes: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let g1 = games[2 * i], g2 = games[2 * i + 1]
            outcomes[g1.outcome, default: 0] += 1
            outcomes[g2.outcome, default: 0] += 1
            let values = Self.candidateValues(game1: g1.outcome, game2: g2.outcome)
            if let values { perQuestion.append(values) }
            samples.append(JudgedSample(id: item.sample.id, score: values.map(JudgedStats.mean), judgements: [g1, g2]))
        }
        let (accuracy, stderr, values) = Self.aggregate(perQuestion)
        let ci = JudgedStats.bootstrapInterval(values, rounds: 100, seed: 42)
        let metrics = JudgedMetrics(accuracy: accuracy, stderr: stderr, nScored: perQuestion.count, nExamples: items.count,
                                    totalGraderCalls: games.count, winRate: WinRate(score: accuracy, ciLow: ci.low, ciHigh: ci.high, rounds: 100),
                                    outcomes: outcomes, complete: outcomes["not_judged"] == nil)
        return JudgedOutcome(samples: samples, metrics: metrics)
    }
}
