import Foundation
import PTBCore

public enum GroupBy: String, Sendable, CaseIterable {
    /// Methods grouped by the agent map; methods not in it stand alone.
    case agent
    /// One row per method (sweep).
    case method
}

public struct LeaderboardOptions: Sendable {
    public var weights: WeightScheme
    public var groupBy: GroupBy
    public var agents: AgentMap
    public var baselines: BaselineTable
    public var baselineMethod: String
    public var bootstrap: Bootstrap

    public init(weights: WeightScheme = .auto, groupBy: GroupBy = .agent, agents: AgentMap = .empty,
                baselines: BaselineTable = .published, baselineMethod: String = PaperBenchmarks.baselineMethod,
                bootstrap: Bootstrap = Bootstrap()) {
        self.weights = weights
        self.groupBy = groupBy
        self.agents = agents
        self.baselines = baselines
        self.baselineMethod = baselineMethod
        self.bootstrap = bootstrap
    }
}

/// The aggregated leaderboard: ranked agent rows, then the unranked baseline rows.
public struct Leaderboard: Sendable {
    public static let baseRowName = "Base models (zero-shot)"
    public static let instructRowName = "Instruct models (zero-shot)"

    public var rows: [LeaderboardRow]
    public var benchmarks: [String]
    public var models: [String]
    public var weights: BenchmarkWeights
    /// The table cells fell back to (published or given, with imported baselines and ptb's base runs).
    public var baselines: BaselineTable
    public var methods: [String: MethodResult]
    /// Agent name → its methods that have runs, in row order.
    public var groups: [String: [String]]
    /// What the reader should know (weights chosen, missing sweeps, unweighted tasks).
    public var notes: [String]

    public static func build(runs: [ResultRun], options: LeaderboardOptions = LeaderboardOptions()) throws -> Leaderboard {
        // Input order decides run-id ties; sort so that the same runs always give the same board.
        let ordered = runs.sorted { ($0.method, $0.name, $0.path) < ($1.method, $1.name, $1.path) }
        let newest = NewestRuns.select(ordered)
        let table = EffectiveBaselines.build(options.baselines, newest: newest, baselineMethod: options.baselineMethod)
        let methodNames = newest.keys.filter { $0 != options.baselineMethod }.sorted()
        let seen = methodNames.flatMap { newest[$0]!.keys }
        let tasks = Set(seen.map(\.task))
        let models = seen.isEmpty ? PaperBenchmarks.baseModels : Set(seen.map(\.model)).sorted()
        var notes: [String] = []
        let weights = try BenchmarkWeights.resolve(options.weights, tasks: tasks, table: table, notes: &notes)
        let benchmarks = Set(weights.values.keys).union(tasks).sorted()
        let unweighted = tasks.subtracting(weights.values.keys)
        if !unweighted.isEmpty {
            notes.append("tasks \(unweighted.sorted().joined(separator: ", ")) have no \(weights.scheme.rawValue) weight: shown, not in the score")
        }
        var methods: [String: MethodResult] = [:]
        for name in methodNames {
            let r = MethodResult.compute(method: name, newest: newest[name]!, models: models, benchmarks: benchmarks,
                                         weights: weights, baselines: table)
            if r.counts.missingRuns > 0 {
                notes.append("\(name): \(r.counts.missingRuns) of \(models.count * benchmarks.count) cells have no run (base score used)")
            }
            if r.counts.unfilled > 0 {
                notes.append("\(name): \(r.counts.unfilled) cell(s) have neither a score nor a baseline (counted as 0)")
            }
            methods[name] = r
        }
        let groups = grouping(methodNames, options: options, notes: &notes)
        let base = baselineRow(baseRowName, models: models, table: table, benchmarks: benchmarks, weights: weights)
        let instructModels = models.map { m in ModelKey.instructPairs.first { $0.base == m }?.instruct }
        let instruct = instructModels.contains(nil) ? nil
            : baselineRow(instructRowName, models: instructModels.compactMap { $0 }, table: table, benchmarks: benchmarks, weights: weights)
        var rows = groups.map { g in
            agentRow(g.name, g.methods.map { methods[$0]! }, models: models, benchmarks: benchmarks, weights: weights,
                     bootstrap: options.bootstrap, base: base?.avg, instruct: instruct?.avg)
        }
        rows.sort { ($0.avg, $1.agent) > ($1.avg, $0.agent) }
        for i in rows.indices { rows[i].rank = i + 1 }
        for var b in [base, instruct].compactMap({ $0 }) {
            b.normalized = normalize(b.avg, base: base?.avg, instruct: instruct?.avg)
            rows.append(b)
        }
        return Leaderboard(rows: rows, benchmarks: benchmarks, models: models, weights: weights, baselines: table, methods: methods,
                           groups: Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0.methods) }), notes: notes)
    }

    static func grouping(_ methodNames: [String], options: LeaderboardOptions, notes: inout [String]) -> [AgentMap.Entry] {
        guard options.groupBy == .agent else { return methodNames.map { AgentMap.Entry(name: $0, methods: [$0]) } }
        let present = Set(methodNames)
        var used = Set<String>()
        var groups: [AgentMap.Entry] = []
        for e in options.agents.agents {
            let have = e.methods.filter(present.contains)
            let lacking = e.methods.filter { !present.contains($0) }
            if !lacking.isEmpty { notes.append("agent \(e.name): no runs for \(lacking.joined(separator: ", "))") }
            guard !have.isEmpty else { continue }
            groups.append(AgentMap.Entry(name: e.name, methods: have))
            used.formUnion(have)
        }
        return groups + methodNames.filter { !used.contains($0) }.map { AgentMap.Entry(name: $0, methods: [$0]) }
    }

    /// §7.6: mean and sample std of the per-sweep scores; per-benchmark means over sweeps and models;
    /// the paper's per-benchmark "±" (mean over models of the per-cell std over sweeps).
    static func agentRow(_ name: String, _ rs: [MethodResult], models: [String], benchmarks: [String], weights: BenchmarkWeights,
                         bootstrap: Bootstrap, base: Double?, instruct: Double?) -> LeaderboardRow {
        let sweeps = rs.map(\.score)
        let avg = Statistics.mean(sweeps) ?? 0
        var bench: [String: Double] = [:], benchStd: [String: Double] = [:], pools: [String: [Double]] = [:]
        for b in benchmarks {
            bench[b] = Statistics.mean(rs.map { $0.benchmarkMeans[b] ?? 0 }) ?? 0
            let perModel = models.map { m in rs.map { $0.cells[CellKey(task: b, model: m)]?.value ?? 0 } }
            if rs.count > 1, let s = Statistics.mean(perModel.map { Statistics.sampleStd($0) ?? 0 }) { benchStd[b] = s }
            pools[b] = perModel.flatMap { $0 }
        }
        let ci = bootstrap.interval(pools: pools, weights: weights)
        let times = rs.compactMap(\.time)
        let time = times.isEmpty ? nil : TimeSummary(
            avgSeconds: Statistics.mean(times.map { Double($0.avgSeconds) })!, stdSeconds: Statistics.sampleStd(times.map { Double($0.avgSeconds) }),
            percentOfBudget: Statistics.mean(times.map(\.percentOfBudget))!, n: times.count)
        let counted = rs.flatMap { $0.cells.values.compactMap(\.run) }
        return LeaderboardRow(agent: name, avg: avg, std: Statistics.sampleStd(sweeps), n: rs.count, benchmarks: bench,
                              benchmarkStd: rs.count > 1 ? benchStd : nil, rank: nil, baseline: false, methods: rs.map(\.method),
                              sweeps: sweeps, normalized: normalize(avg, base: base, instruct: instruct),
                              ci95: ci.map { [$0.low, $0.high] }, counts: rs.map(\.counts).reduce(RunCounts(), +), time: time,
                              usage: UsageSummary.of(counted).finish(score: avg, sweeps: rs.count))
    }

    /// A zero-shot row (README "Base Models" 7.5, "Official Instruct Models" 51.1): the table's values,
    /// averaged over the models, weighted. Nil when a weighted benchmark lacks a value.
    static func baselineRow(_ name: String, models: [String], table: BaselineTable, benchmarks: [String],
                            weights: BenchmarkWeights) -> LeaderboardRow? {
        var bench: [String: Double] = [:]
        for b in benchmarks { bench[b] = table.mean(models: models, benchmark: b) }
        guard !models.isEmpty, weights.values.keys.allSatisfy({ bench[$0] != nil }) else { return nil }
        let score = weights.score(bench)
        return LeaderboardRow(agent: name, avg: score, std: nil, n: 1, benchmarks: bench, benchmarkStd: nil, rank: nil,
                              baseline: true, methods: [], sweeps: [score], normalized: nil, ci95: nil, counts: nil, time: nil, usage: nil)
    }

    /// Base = 0, instruct = 1.
    static func normalize(_ x: Double, base: Double?, instruct: Double?) -> Double? {
        guard let base, let instruct, instruct != base else { return nil }
        return (x - base) / (instruct - base)
    }

    public func row(named name: String) throws -> LeaderboardRow {
        guard let r = rows.first(where: { $0.agent == name }) else {
            throw ResultsError.unknownAgent(name, valid: rows.map(\.agent))
        }
        return r
    }

    /// The agent's model × benchmark cells averaged over its sweeps (nil agent: the top-ranked row).
    public func heatMap(agent: String?) throws -> HeatMap {
        let name = agent ?? rows.first { !$0.baseline }?.agent ?? ""
        guard let methodNames = groups[name] else {
            throw ResultsError.unknownAgent(name, valid: rows.filter { !$0.baseline }.map(\.agent))
        }
        var values: [CellKey: Double] = [:], fellBack = Set<CellKey>()
        for b in benchmarks {
            for m in models {
                let key = CellKey(task: b, model: m)
                let cells = methodNames.compactMap { methods[$0]?.cells[key] }
                if let v = Statistics.mean(cells.compactMap(\.value)) { values[key] = v }
                if cells.contains(where: { $0.fallback != nil }) { fellBack.insert(key) }
            }
        }
        return HeatMap(agent: name, models: models, benchmarks: benchmarks, values: values, fellBack: fellBack)
    }
}

public struct HeatMap: Sendable, Equatable {
    public var agent: String
    public var models: [String]
    public var benchmarks: [String]
    public var values: [CellKey: Double]
    /// Cells where at least one sweep used the base score.
    public var fellBack: Set<CellKey>
}
