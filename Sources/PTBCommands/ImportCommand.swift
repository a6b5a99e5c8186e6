import ArgumentParser
import Foundation
import PTBCore
import PTBResults

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the original PostTrainBench's results directory for the leaderboard.",
        discussion: """
            Reads <method>/<task>_<Org>_<Model>_<id>/ (metrics.json, time_taken.txt, the judge's verdict files, \
            presence of final_model/; weights are never copied) into $PTB_HOME/imports/<name>.json. Broken runs are \
            kept with the original's state (ERR, not stored, not avl.) and the reason.

            Examples:
              ptb import --posttrainbench ~/posttrainbench/results --dry-run
              ptb import --posttrainbench ~/posttrainbench/results --name march
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(name: .customLong("posttrainbench"), help: "The original's results directory ($POST_TRAIN_BENCH_RESULTS_DIR).")
    var resultsDir: String
    @Option(help: "Name of the import (default: the directory's name); importing again under a name replaces it.")
    var name: String?
    @Flag(help: "Read and report, write nothing.") var dryRun = false
    @Flag(help: "List every run with a problem and every skipped entry.") var verbose = false

    func run() async throws {
        try await reporting {
            let source = URL(fileURLWithPath: resultsDir)
            let snapshot = try PostTrainBenchImporter(root: source).read()
            if verbose {
                for r in snapshot.runs where !r.problems.isEmpty {
                    print("\(r.method)/\(r.name): \(r.score.cell); \(r.problems.joined(separator: "; "))")
                }
                for s in snapshot.skipped { print("skipped \(s.method)/\(s.name): \(s.reason)") }
            }
            let summary = ImportSummary(snapshot).text
            if dryRun {
                print("read \(summary) from \(source.path) (dry run, nothing written)")
                return
            }
            let store = ImportStore(home: homeOptions.ptbHome)
            let url = try store.save(snapshot, label: name.map(ImportStore.sanitize) ?? ImportStore.label(for: source))
            print("imported \(summary) from \(source.path) into \(url.path)")
        }
    }
}
