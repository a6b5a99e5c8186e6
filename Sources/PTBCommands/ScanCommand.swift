import ArgumentParser
import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan training data for a task's test items (n-gram contamination check).",
        discussion: """
            Indexes the task's test questions (user messages) and answers (targets) separately as n-grams of \
            normalised tokens (lowercase, punctuation and whitespace separate tokens): --n grams for items of at \
            least --n tokens, --short-n grams for shorter ones, and items shorter than that as one gram; items under \
            --min-tokens are not indexed. Then scans every file under PATH (JSONL, JSON, CSV, text, Python, …; \
            directories recursively). Compressed files (gzip, bzip2, xz, zstd, lz4), zip archives, Parquet (through \
            Python with pyarrow), safetensors headers, UTF-16 text, text between NUL bytes (tar, Arrow) and long base64 or \
            hex runs inside text are decoded and scanned; ROT13 copies of the items are indexed too. What cannot be read \
            is listed as UNSCANNED with the reason. Reports each hit with file, line, test item and how it was decoded.

            Exit status: 0 when clean, 1 when test items were found, 2 when the scan could not run.

            Examples:
              ptb scan --task gsm8k runs/RUN_ID/task/data
              ptb scan --task humaneval --json train.jsonl
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Task whose test items to look for.") var task: String
    @Argument(help: "Files or directories to scan.") var paths: [String]
    @Option(help: "Gram length for items of at least this many tokens.") var n: Int = 13
    @Option(help: "Gram length for items shorter than --n.") var shortN: Int = 8
    @Option(help: "Items with fewer tokens are not indexed (a 1-token answer matches everywhere).") var minTokens: Int = 4
    @Option(help: "Skip files larger than this (MiB).") var maxFileMb: Int = 4096
    @Option(help: "Threads (default: all cores).") var jobs: Int?
    @Option(help: "Hits to list in the table.") var limit: Int = 50
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(inversion: .prefixedNo, help: "Also look for ROT13-encoded items (one pass; the index doubles).") var rot13 = true
    @Option(help: "Python for Parquet (needs pyarrow) and zip files (default: the ptb Python environment, then python3).") var python: String?

    func validate() throws {
        guard n >= 1, shortN >= 1, shortN <= n else { throw ValidationError("need 1 ≤ --short-n ≤ --n (got --short-n \(shortN), --n \(n)).") }
        guard minTokens >= 1, minTokens <= shortN else { throw ValidationError("need 1 ≤ --min-tokens ≤ --short-n.") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        guard maxFileMb >= 1 else { throw ValidationError("--max-file-mb must be at least 1.") }
        guard !paths.isEmpty else { throw ValidationError("give at least one file or directory to scan.") }
    }

    func run() async throws {
        let report: ScanReport
        let index: NGramIndex
        let started = Date()
        do {
            let samples = try await reporting { try TaskRegistry.lookup(task).samples(home: homeOptions.ptbHome) }
            index = NGramIndex(samples: samples, n: n, shortN: shortN, minTokens: minTokens, variants: rot13 ? [.rot13] : [])
            var scanner = ContaminationScanner(index: index, task: task, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                               maxFileBytes: maxFileMb << 20)
            scanner.decoders = .system(pythons: python.map { [$0] } ?? [homeOptions.ptbHome.python.path])
            report = try scanner.scan(paths: paths)
        } catch let e as IntegrityError {
            Console.err("error: \(e)")
            throw ExitCode(2)
        }
        let seconds = Date().timeIntervalSince(started)
        if json {
            print(String(decoding: try JSONIO.encode(report), as: UTF8.self), terminator: "")
        } else {
            print(report.renderText(index: index, limit: limit))
        }
        Console.err(String(format: "scanned %.1f MB in %.2f s (%.1f MB/s)", Double(report.bytesScanned) / 1e6, seconds,
                           Double(report.bytesScanned) / 1e6 / max(seconds, 1e-9)))
        if !report.clean { throw ExitCode(1) }
    }
}
