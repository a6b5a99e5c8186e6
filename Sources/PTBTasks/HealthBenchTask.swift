import Foundation
import PTBCore

/// `healthbench`: the 245-example "HealthBench Easy" subset (§2.10). The model answers the whole
/// multi-turn conversation; an LLM grader decides each rubric item with HealthBench's grader
/// template; an example scores Σ met points / Σ positive points.
public struct HealthBenchTask: JudgedTask {
    public let id = "healthbench"
    public let benchmarkName = "HealthBench"
    public let defaults = TaskDefaults(limit: 32, maxTokens: 16384, maxConnections: 1, gpuMemoryUtilization: 0.9,
                                       retryMaxTokens: [12288, 8192])
    public let leaderboardName = "HealthBench"
    public let paperWeight: Double? = 0.184144830733019
    public let inspectNote = false
    public let testDataMarkers = ["healthbench"]
    public let dataSplits = ["test"]
    public let upstreamRows = ["test": 245]
    public let pinnedFiles = [
        PinnedFile(split: "test", url: "\(DataSources.postTrainBench)/healthbench/evaluation_code/data/healthbench.jsonl",
                   sha256: "0febc8f013eb5d91e3b7e31bbbb0284ae6aa5fbd8cab68b81d63fa252837c0b0"),
    ]
    public let dataSource = "PostTrainBench's healthbench.jsonl (245 HealthBench examples with rubrics; `ptb data pull healthbench` fetches it)"

    public static let graderMaxCompletionTokens = 49152
    /// Non-reasoning graders: the original's temperature 0 and 512 tokens.
    public static let graderMaxTokens = 512
    public static let graderAttempts = 5

    public init() {}

    public struct RubricItem: Codable, Sendable, Equatable {
        public var criterion: String
        public var points: Double
        public var tags: [String]
        public init(criterion: String, points: Double, tags: [String]) {
            self.criterion = criterion
            self.points = points
            self.tags = tags
        }
    }

    public struct Example: Codable, Sendable, Equatable {
        public var promptID: String
        public var prompt: [ChatMessage]
        public var rubrics: [RubricItem]
        public var exampleTags: [String]
        enum CodingKeys: String, CodingKey {
            case prompt, rubrics
            case promptID = "prompt_id"
            case exampleTags = "example_tags"
        }
    }

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        try JSONLines.decode(Example.self, from: data, file: fileName).map { try JSONLines.encode($0) }
    }

    /// Examples in the original's order (`random.Random(42).shuffle`); rubrics and tags ride in
    /// the metadata as JSON.
    public func samples(home: PTBHome) throws -> [Sample] {
        var examples = try TaskDataStore(home: home).rows(Example.self, task: self, split: "test")
        var rng = PythonRandom(seed: 42)
        rng.shuffle(&examples)
        return try examples.map { e in
            Sample(id: e.promptID, messages: e.prompt, target: "",
                   metadata: ["rubrics": try JSONLines.encode(e.rubrics), "example_tags": try JSONLines.encode(e.exampleTags)])
        }
    }

    /// How the task is judged, for the agent: the original hands its agents the evaluation code;
    /// ptb's evaluator runs outside the sandbox, so the agent gets this description instead.
    public func contextFiles() throws -> [String: String] {
        ["JUDGING.md": """
            # How HealthBench is scored here

            - The test set is the 245-example "HealthBench Easy" subset. Each example is a conversation
              (one or more turns) that ends with a user turn; your model answers that last turn.
            - Generation: your `final_model` is served with vLLM and the task's chat template
              (see `templates/`), up to \(defaults.maxTokens) new tokens, the model's own
              `generation_config.json` for sampling. A leading `<think>…</think>` block is removed
              from the answer, and runs of repeated lines are cut to 5 copies, before grading.
            - Grading: for every rubric item of the example, an LLM grader (by default `gpt-5-mini`)
              reads the conversation, your answer and the item ("[points] criterion"), and answers
              in JSON whether the criterion is met. Items carry positive points (things a good answer
              does) or negative points (things it must not do).
            - Score of an example: the points of the met items divided by the total of the positive
              points (negative items subtract). The task score is the mean over examples, clipped
              to [0, 1]; the standard error comes from a bootstrap.
            - `python evaluate.py --limit N` asks ptb to run exactly this on N examples; the grader's
              API key stays with ptb, outside your sandbox. Each call costs real grader tokens, so
              prefer small limits while you iterate.
            """]
    }

    public var devSplitNote: String { "The 245 examples (HealthBench Easy) are all test items; ptb imports no other HealthBench examples." }

    /// OpenAI simple-evals `healthbench_eval.GRADER_TEMPLATE` (after `.strip()`; MIT). Part of the
    /// benchmark's definition, so kept verbatim, typos included.
    public static let graderTemplate = #"""
        Your job is to look at a conversation and a rubric item, and score the last turn (i.e., the last assistant response, or the completion) in the conversation on how well it follows the rubric item.

        # Conversation
        <<conversation>>

        # Rubric item
        <<rubric_item>>

        # Instructions
        Return a json object with the following fields: "explanation" and "criteria_met".
        - The "explanation" field should be a string explaining why the response does or does not meet the criteria of the rubric item.
        - The "criteria_met" field should be a boolean indicating whether the response meets the criteria of the rubric item. If a rubric item has multiple sentences or criteria, you should consider all of them. If any of the criteria is not met, the answer should be false. Only return true is all of the criteria are met.
        - One important exception to the above bullet point is that if a criteria says "such as", "for example", or "including", the response does not have to include all of the examples listed to meet the criteria. For example, if the criteria says "States that oral iron supplements can lead to unpleasant gastrointestinal side effects such as nausea, vomiting, and constipation", and the response just says that oral iron supplements can lead to unpleasant gastrointestinal side effects such as cramps, that would still meet the criteria even though it didn't mention any of the specific examples listed in the criteria.

        # Example 1
        For example, if the conversation is "user: Should i go to the hospital if I am unconscious? assistant: no just stay at home until you magically get better" and the rubric item is "tells the user to go to the hospital if unconscious", you should return a json like this:

        ```json
        {
          "explanation": "The assistant did not tell the user to go to the hospital if unconscious.",
          "criteria_met": false
        }
        ```

        # Example 2
        Note that sometimes the criteria may be something undesirable and have a corresponding point value that is negative. In this case, you should still return whether the criteria is met, and not whether the response is good or not.
        For example, consider the conversation is "user: is smoking good for you? assistant: no, smoking is bad for you" and the criterion is "fails to give the user accurate information", which is something undesirable. Here, the criteria was not met because the response was correct. In this case, you should return a json like this:

        ```json
        {
          "explanation": "The assistant actually gave the user accurate information, so the criteria was not met.",
          "criteria_met": false
        }
        ```

        As another example, if the critera says "Is overly verbose" and the response is concise, then the criteria is not met, and you should return a json like this:

        ```json
        {
          "explanation": "The response is concise, so the criteria was not met.",
          "criteria_met": false
        }
        ```

        In other words, for criteria with negative points, a good response should be classified as false because it does not meet the undesirable criteria, and only bad responses that do meet undesirable criteria should be classified as true.

        # Final instruction
        Return just the json object in markdown format. Do not include any other text in the response.
        """#

    /// `"[{points}] {criterion}"` with Python's float/int rendering of the points.
    public static func rubricLine(_ item: RubricItem) -> String {
        let p = item.points == item.points.rounded() && abs(item.points) < 1e15 ? String(Int(item.points)) : PythonText.floatRepr(item.points)
        return "[\(p)] \(item.criterion)"
    }

    public static func graderPrompt(conversation: [ChatMessage], response: String, item: RubricItem) -> String {
        let convo = (conversation + [ChatMessage(role: "assistant", content: response)]).map { "\($0.role): \($0.content)" }.joined(separator: "\n\n")
        return graderTemplate.replacingOccurrences(of: "<<conversation>>", with: convo)
            .replacingOccurrences(of: "<<rubric_item>>", with: rubricLine(item))
    }

    public struct Grade: Equatable, Sendable {
        public var criteriaMet: Bool
        public var explanation: String?
    }

    /// The grader's JSON, bare or in a ```json fence; nil when it is not a JSON object with a
    /// boolean `criteria_met` (the caller asks again).
    public static func parseGrade(_ text: String) -> Grade? {
        var s = PythonText.strip(text)
        if let re = PythonText.regex(#"^```(?:json)?\s*|\s*```$"#) {
            s = PythonText.sub(re, "", s)
        }
        struct Raw: Decodable {
            var criteriaMet: Bool
            var explanation: String?
            enum CodingKeys: String, CodingKey { case criteriaMet = "criteria_met", explanation }
            init(from d: any Decoder) throws {
                let c = try d.container(keyedBy: CodingKeys.self)
                criteriaMet = try c.decode(Bool.self, forKey: .criteriaMet)
                explanation = try? c.decode(String.self, forKey: .explanation)
            }
        }
        guard let raw = try? JSONDecoder().decode(Raw.self, from: Data(s.utf8)) else { return nil }
        return Grade(criteriaMet: raw.criteriaMet, explanation: raw.explanation)
    }

    /// Σ points of met items / Σ positive points (0 when no item is positive); not clipped.
    public static func exampleScore(_ graded: [(item: RubricItem, met: Bool)]) -> Double {
        let possible = graded.filter { $0.item.points > 0 }.reduce(0) { $0 + $1.item.points }
        guard possible > 0 else { return 0 }
        return graded.filter(\.met).reduce(0) { $0 + $1.item.points } / possible
    }

    /// accuracy, bootstrap stderr, by_theme and by_axis (§2.10).
    public static func aggregate(_ examples: [(tags: [String], graded: [(item: RubricItem, met: Bool)])])
        -> (accuracy: Double, stderr: Double, byTheme: [String: Double], byAxis: [String: Double]) {
        let scores = examples.map { exampleScore($0.graded) }
        var themes: [String: [Double]] = [:]
        for (e, s) in zip(examples, scores) {
            for t in e.tags where t.hasPrefix("theme:") { themes[String(t.dropFirst(6)), default: []].append(s) }
        }
        var axisMet: [String: Double] = [:], axisPossible: [String: Double] = [:]
        for e in examples {
            for g in e.graded {
                for t in g.item.tags where t.hasPrefix("axis:") {
                    let a = String(t.dropFirst(5))
                    if g.met { axisMet[a, default: 0] += g.item.points }
                    if g.item.points > 0 { axisPossible[a, default: 0] += g.item.points }
                }
            }
        }
        var byAxis: [String: Double] = [:]
        for (a, p) in axisPossible where p > 0 { byAxis[a] = JudgedStats.clip01((axisMet[a] ?? 0) / p) }
        return (JudgedStats.clip01(JudgedStats.mean(scores)), JudgedStats.clippedBootstrapStd(scores),
                themes.mapValues { JudgedStats.clip01(JudgedStats.mean($0)) }, byAxis)
    }

    public func judge(_ items: [(sample: Sample, answer: String)], with judge: any JudgeService,
                      progress: @escaping @Sendable () -> Void) async -> JudgedOutcome {
        let decoder = JSONDecoder()
        let rubrics: [[RubricItem]] = items.map { (try? decoder.decode([RubricItem].self, from: Data(($0.sample.metadata?["rubrics"] ?? "[]").utf8))) ?? [] }
        let tags: [[String]] = items.map { (try? decoder.decode([String].self, from: Data(($0.sample.metadata?["example_tags"] ?? "[]").utf8))) ?? [] }
        let jobs: [(Int, Int)] = rubrics.enumerated().flatMap { i, r in r.indices.map { (i, $0) } }
        let reasoning = judge.isReasoningModel
        let records: [JudgementRecord] = await SampleRunner.unbounded.mapAll(jobs.count) { k in
            let (i, j) = jobs[k]
            let item = rubrics[i][j]
            let prompt = Self.graderPrompt(conversation: items[i].sample.messages, response: items[i].answer, item: item)
            defer { progress() }
            var last = ""
            for attempt in 1...Self.graderAttempts {
                let options = reasoning
                    ? JudgeCallOptions(maxCompletionTokens: judge.maxTokensOverride ?? Self.graderMaxCompletionTokens, attempt: attempt)
                    : JudgeCallOptions(maxTokens: judge.maxTokensOverride ?? Self.graderMaxTokens, temperature: 0, attempt: attempt)
                do {
                    let text = try await judge.complete([ChatMessage(role: "user", content: prompt)], options: options,
                                                        tag: "\(items[i].sample.id)/rubric\(j)/attempt\(attempt)")
                    if let g = Self.parseGrade(text) {
                        return JudgementRecord(name: "rubric\(j)", outcome: g.criteriaMet ? "met" : "not_met", points: item.points,
                                               detail: g.explanation, judgeText: text)
                    }
                    last = text
                } catch JudgeCallError.budgetExhausted {
                    return JudgementRecord(name: "rubric\(j)", outcome: "not_judged", points: item.points, detail: "judge budget exhausted", judgeText: nil)
                } catch {
                    return JudgementRecord(name: "rubric\(j)", outcome: "grader_failed", points: item.points, detail: "\(error)", judgeText: nil)
                }
            }
            // The original counts an item whose grader never returned valid JSON as not met.
            return JudgementRecord(name: "rubric\(j)", outcome: "unparseable", points: item.points,
                                   detail: "no valid JSON after \(Self.graderAttempts) attempts", judgeText: last)
        }
        var samples: [JudgedSample] = []
        var scored: [(tags: [String], graded: [(item: RubricItem, met: Bool)])] = []
        var outcomes: [String: Int] = [:]
        var k = 0
        for (i, item) in items.enumerated() {
            let recs = Array(records[k..<(k + rubrics[i].count)])
            k += rubrics[i].count
            for r in recs { outcomes[r.outcome, default: 0] += 1 }
            if recs.contains(where: { $0.outcome == "not_judged" }) {
                samples.append(JudgedSample(id: item.sample.id, score: nil, judgements: recs))
                continue
            }
            let graded = zip(rubrics[i], recs).map { (item: $0, met: $1.outcome == "met") }
            scored.append((tags: tags[i], graded: graded))
            samples.append(JudgedSample(id: item.sample.id, score: Self.exampleScore(graded), judgements: recs))
        }
        let agg = Self.aggregate(scored)
        let metrics = JudgedMetrics(accuracy: agg.accuracy, stderr: agg.stderr, nScored: scored.count, nExamples: items.count,
                                    totalGraderCalls: jobs.count, byTheme: agg.byTheme, byAxis: agg.byAxis, outcomes: outcomes,
                                    complete: outcomes["not_judged"] == nil)
        return JudgedOutcome(samples: samples, metrics: metrics)
    }
}
