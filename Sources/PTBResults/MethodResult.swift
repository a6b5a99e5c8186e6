import Foundation

public struct CellKey: Hashable, Sendable {
    public var task: String
    public var model: String
    public init(task: String, model: String) {
        self.task = task
        self.model = model
    }
}

/// Why a cell holds the base score instead of the run's own score.
public enum FallbackReason: String, Sendable, Codable {
    case noRun = "no run"
    case score = "no score"
    case flagged
    case judgeError = "judge error"
}

/// One model × benchmark cell of a method after the original's rules (§7.3).
public struct Cell: Sendable, Equatable {
    /// What the cell contributes; nil only when neither the run nor the baseline has a number (counts as 0).
    public var value: Double?
    public var fallback: FallbackReason?
    /// The original's raw texts: the score cell and the contamination cell.
    public var scoreCell: String
    public var flagCell: String
    public var run: ResultRun?
}

/// Tallies over a method's (or agent's) newest runs.
public struct RunCounts: Sendable, Codable, Equatable {
    public var runs = 0
    public var missingRuns = 0
    public var scoreErrors = 0
    public var flagged = 0
    public var contamination = 0
    public var disallowedModel = 0
    public var integrity = 0
    public var judgeErrors = 0
    public var fallbacks = 0
    /// Cells with no number at all (no run score and no baseline): counted as 0.
    public var unfilled = 0
    /// Runs per integrity policy (`ptb`, `original`, …): which rules sent cells to the base score.
    public var policies: [String: Int]? = nil

    public init() {}

    public static func + (a: RunCounts, b: RunCounts) -> RunCounts {
        var c = a
        c.runs += b.runs; c.missingRuns += b.missingRuns; c.scoreErrors += b.scoreErrors; c.flagged += b.flagged
        c.contamination += b.contamination; c.disallowedModel += b.disallowedModel; c.integrity += b.integrity
        c.judgeErrors += b.judgeErrors; c.fallbacks += b.fallbacks; c.unfilled += b.unfilled
        if let p = b.policies { c.policies = (c.policies ?? [:]).merging(p, uniquingKeysWith: +) }
        return c
    }
}

/// §7.7 for one method: `avg = floor(Σ seconds / #valid)`, `percentage = avg / budget · 100`.
public struct MethodTime: Sendable, Codable, Equatable {
    public var avgSeconds: Int
    public var valid: Int
    public var invalid: Int
    public var budgetSeconds: Double
    public var percentOfBudget: Double { Double(avgSeconds) / budgetSeconds * 100 }

    public init(avgSeconds: Int, valid: Int, invalid: Int, budgetSeconds: Double) {
        self.avgSeconds = avgSeconds
        self.valid = valid
        self.invalid = invalid
        self.budgetSeconds = budgetSeconds
    }
}

/// One method (a full sweep) after newest-run selection and fallback.
public struct MethodResult: Sendable, Equatable {
    public var method: String
    public var cells: [CellKey: Cell]
    /// `(1/|models|) Σ_m cell` per benchmark.
    public var benchmarkMeans: [String: Double]
    /// `M = Σ_b ŵ_b · benchmarkMeans[b]`.
    public var score: Double
    public var time: MethodTime?
    public var counts: RunCounts

    public static func compute(method: String, newest: [CellKey: ResultRun], models: [String], benchmarks: [String],
                               weights: BenchmarkWeights, baselines: BaselineTable) -> MethodResult {
        var cells: [CellKey: Cell] = [:]
        var counts = RunCounts()
        var means: [String: Double] = [:]
        for b in benchmarks {
            var sum = 0.0
            for m in models {
                let key = CellKey(task: b, model: m)
                let cell = resolve(newest[key], baseline: baselines.value(model: m, benchmark: b))
                cells[key] = cell
                counts = counts + tally(cell)
                sum += cell.value ?? 0
            }
            means[b] = models.isEmpty ? 0 : sum / Double(models.count)
        }
        return MethodResult(method: method, cells: cells, benchmarkMeans: means, score: weights.score(means),
                            time: time(Array(newest.values)), counts: counts)
    }

    /// §7.3: the base score replaces the run's when its score is not a number or any flag or judge
    /// error is present; a cell without any run is filled the same way (an empty CSV cell does not
    /// parse as a float in the original's `aggregate_final.py` either).
    public static func resolve(_ run: ResultRun?, baseline: Double?) -> Cell {
        guard let run else { return Cell(value: baseline, fallback: .noRun, scoreCell: "", flagCell: "", run: nil) }
        let flagCell = run.flags.cell
        let reason: FallbackReason? = run.flags.hasJudgeError ? .judgeError
            : !flagCell.isEmpty ? .flagged : run.score.accuracy == nil ? .score : nil
        return Cell(value: reason == nil ? run.score.accuracy : baseline, fallback: reason,
                    scoreCell: run.score.cell, flagCell: flagCell, run: run)
    }

    static func tally(_ cell: Cell) -> RunCounts {
        var c = RunCounts()
        if cell.value == nil { c.unfilled = 1 }
        if cell.fallback != nil { c.fallbacks = 1 }
        guard let run = cell.run else {
            c.missingRuns = 1
            return c
        }
        c.runs = 1
        c.policies = [run.flags.policyName(origin: run.origin): 1]
        if run.score.accuracy == nil { c.scoreErrors = 1 }
        if run.flags.isFlagged { c.flagged = 1 }
        if run.flags.contamination == .detected { c.contamination = 1 }
        if run.flags.disallowedModel == .detected { c.disallowedModel = 1 }
        if run.flags.integrityFlagged { c.integrity = 1 }
        if run.flags.hasJudgeError { c.judgeErrors = 1 }
        return c
    }

    static func time(_ runs: [ResultRun]) -> MethodTime? {
        let valid = runs.filter { $0.timeSeconds != nil }
        guard !valid.isEmpty else { return nil }
        let total = valid.reduce(0) { $0 + $1.timeSeconds! }
        let budget = valid.reduce(0.0) { $0 + $1.budgetSeconds } / Double(valid.count)
        return MethodTime(avgSeconds: total / valid.count, valid: valid.count, invalid: runs.filter { $0.timeRaw != nil && $0.timeSeconds == nil }.count,
                          budgetSeconds: budget)
    }
}

/// §7.2: per method, the run with the highest integer run id in each (task, model) cell. Ties keep
/// the first in input order, which callers make deterministic by sorting.
public enum NewestRuns {
    public static func select(_ runs: [ResultRun]) -> [String: [CellKey: ResultRun]] {
        var out: [String: [CellKey: ResultRun]] = [:]
        for r in runs {
            let key = CellKey(task: r.task, model: r.model)
            if let best = out[r.method]?[key], best.runID >= r.runID { continue }
            out[r.method, default: [:]][key] = r
        }
        return out
    }
}

/// The base scores cells fall back to: the given table, overridden by the newest numeric runs of
/// `baseline_zeroshot` (what the original's main branch reads), then completed with ptb's own
/// measurements of unchanged base models where the table has nothing (ptb's tasks and models).
public enum EffectiveBaselines {
    public static func build(_ table: BaselineTable, newest: [String: [CellKey: ResultRun]], baselineMethod: String) -> BaselineTable {
        var overlay = BaselineTable()
        for (key, run) in newest[baselineMethod] ?? [:] {
            if let a = run.score.accuracy { overlay.set(model: key.model, benchmark: key.task, a) }
        }
        var result = table.overlaying(overlay)
        var measured: [CellKey: ResultRun] = [:]
        for method in newest.keys.sorted() where method != baselineMethod {
            for (key, run) in newest[method]! where run.baseAccuracy != nil {
                if let have = measured[key], have.runID >= run.runID { continue }
                measured[key] = run
            }
        }
        for (key, run) in measured where result.value(model: key.model, benchmark: key.task) == nil {
            result.set(model: key.model, benchmark: key.task, run.baseAccuracy!)
        }
        return result
    }
}
