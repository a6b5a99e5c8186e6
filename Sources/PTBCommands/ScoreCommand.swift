import ArgumentParser
import Foundation
import PTBCore
import PTBEval
import PTBExecution
import PTBProcess
import PTBTasks

struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score completions offline with a task's own scorer (HumanEval: by running the code in a sandbox).",
        discussion: """
            Input lines are {"id", "completion"}, optionally "target" (numeric tasks: overrides the dataset's \
            target). Output lines are {"id", "correct", "score", "answer", "target", ...} in input order. The last \
            stdout line is a JSON summary {"task", "n", "accuracy", ...}; HumanEval adds pass@k.

            Examples:
              ptb score --task gsm8k --completions in.jsonl --output out.jsonl
              ptb score --task humaneval --completions code.jsonl --output out.jsonl --exec-mode fork-server
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Task id.") var task: String
    @Option(help: "JSONL file of completions.") var completions: String
    @Option(help: "JSONL file to write the scored lines to.") var output: String
    @Flag(help: "Numeric tasks: exact numeric equality instead of the original's suffix rule (which lets 170 match 70).")
    var strictMatch = false
    @Option(help: "HumanEval: programs run at once (default: CPU cores).") var parallel: Int?
    @Option(help: "HumanEval: seconds per program (default: 30, the original's).") var timeout: Double?
    @Option(help: "HumanEval: Python interpreter run inside the sandbox (default: /usr/bin/python3).") var python: String?
    @Option(help: "HumanEval: fresh = a new sandbox and interpreter per program; fork-server = one sandboxed interpreter per slot that forks per program (faster; programs of a slot share its sandbox).")
    var execMode: ExecMode = .fresh
    @Option(help: "GPQA: the option-shuffle seed the completions were generated with (default: 42).") var choiceSeed: UInt64?
    @OptionGroup(title: "Judge (arenahardwriting, healthbench)") var judgeOptions: JudgeOptions

    func validate() throws {
        if let p = parallel, p < 1 { throw ValidationError("--parallel must be at least 1.") }
        if let t = timeout, t <= 0 { throw ValidationError("--timeout must be positive.") }
    }

    func run() async throws {
        try await reporting {
            var evalTask = try TaskRegistry.lookup(task)
            if strictMatch, !evalTask.matchesNumericAnswer {
                throw ValidationError("--strict-match applies to numeric tasks (\(TaskRegistry.all.filter(\.matchesNumericAnswer).map(\.id).joined(separator: ", "))).")
            }
            if let choiceSeed {
                guard let seeded = evalTask.withChoiceSeed(choiceSeed) else {
                    let takers = TaskRegistry.all.filter { $0.withChoiceSeed(choiceSeed) != nil }.map(\.id)
                    throw ValidationError("--choice-seed applies to \(takers.joined(separator: ", ")) only.")
                }
                evalTask = seeded
            }
            if let timeout, let limited = evalTask.withExecutionTimeout(timeout) { evalTask = limited }
            let lines = try OfflineScorer.readCompletions(from: URL(fileURLWithPath: completions))
            if let judged = evalTask.judged {
                try await scoreJudged(judged, lines)
                return
            }

            let runner = ProcessRunner()
            let trap = SignalTrap(registry: runner.registry)  // Ctrl-C kills running sandboxes
            let executor: (any CodeExecutor & WidthReporting)? = evalTask.scoredByExecution
                ? try await execMode.makeExecutor(runner: runner, python: python, width: parallel ?? ProcessInfo.processInfo.activeProcessorCount)
                : nil
            let scorer = OfflineScorer(task: evalTask, home: homeOptions.ptbHome, mode: strictMatch ? .strict : .original,
                                       executor: executor, width: executor?.width ?? 8)
            let (scored, summary, warnings) = try await { () async throws in
                do {
                    let r = try await scorer.score(lines)
                    await executor?.shutdown()
                    return r
                } catch {
                    await executor?.shutdown()
                    throw error
                }
            }()
            withExtendedLifetime(trap) {}
            for w in warnings { Console.err("warning: \(w)") }
            try AtomicFile.write(try scored.map { try JSONIO.line($0) }.joined(separator: "\n") + "\n",
                                 to: URL(fileURLWithPath: output))
            Console.err(String(format: "%@: %d/%d correct (accuracy %.4f) — lines in %@", summary.task, summary.correct, summary.n,
                               summary.accuracy, output))
            print(try JSONIO.line(summary))
        }
    }
}

extension ScoreCommand {
    /// Judge-scored tasks: every judge call goes to `<output>.judge_calls.jsonl`; a re-score of
    /// the same completions is answered from the judge cache.
    func scoreJudged(_ task: any JudgedTask, _ lines: [CompletionLine]) async throws {
        let home = homeOptions.ptbHome
        let out = URL(fileURLWithPath: output)
        let callLog = out.deletingPathExtension().appendingPathExtension("judge_calls.jsonl")
        let (scored, summary) = try await JudgedEvaluation(task: task, home: home).score(lines, judge: try judgeOptions.config(home: home), callLog: callLog)
        try AtomicFile.write(try scored.map { try JSONIO.line($0) }.joined(separator: "\n") + "\n", to: out)
        Console.err(String(format: "%@: score %.4f ± %.4f over %d of %d; judge: %d calls, %d from cache, $%.4f — lines in %@, judge calls in %@",
                           summary.task, summary.accuracy, summary.stderr, summary.n, lines.count, summary.judge.calls, summary.judge.cacheHits,
                           summary.judge.costUSD, output, callLog.path))
        print(try JSONIO.line(summary))
        if summary.judge.state == .budgetExhausted {
            Console.err("judging stopped: the judge budget is spent; the summary covers what was judged.")
            throw ExitCode(3)
        }
    }
}
extension ExecMode: ExpressibleByArgument {}
