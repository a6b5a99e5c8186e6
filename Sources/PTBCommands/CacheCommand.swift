import ArgumentParser
import Foundation
import PTBCore
import PTBRunner

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "The Hugging Face cache that agents see (read-only) and the reference checkpoints they never see.",
        subcommands: [CachePullCommand.self])
}

struct CachePullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Prefetch models and datasets into the shared Hugging Face cache, and reference checkpoints into $PTB_HOME/references.",
        discussion: """
            Without --list, --model, --dataset or --reference: the original harness's list (its 14 models and 382 dataset \
            entries; instruct counterparts as references, benchmark test sets left out). A list file has one \
            `model|dataset|reference REPO_ID[@REVISION]` per line. Models and datasets go to HF_HUB_CACHE (else \
            $HF_HOME/hub); references to $PTB_HOME/references/hub. Downloads go through huggingface_hub in ptb's \
            Python environment: HF_ENDPOINT and HF_TOKEN (gated repos; never printed or stored) are honoured, and \
            running it again resumes partial files and retries what failed.

            Examples:
              ptb cache pull --dry-run            # the original's list: what would be fetched, and where
              ptb cache pull --model Qwen/Qwen3-1.7B-Base --dataset openai/gsm8k
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "A list file (default: the original's list, unless --model/--dataset/--reference are given).") var list: String?
    @Option(help: "A model to fetch (repeatable).") var model: [String] = []
    @Option(help: "A dataset to fetch (repeatable).") var dataset: [String] = []
    @Option(help: "A reference checkpoint to fetch into $PTB_HOME/references (repeatable).") var reference: [String] = []
    @Option(help: "Revision of the --model/--dataset/--reference items (default main).") var revision: String?
    @Option(help: "Repositories fetched at the same time (default 4).") var workers: Int = 4
    @Option(help: "Seconds between progress lines (default 10).") var progressInterval: Double = 10
    @Flag(help: "Print what would be fetched, and where, without fetching.") var dryRun = false

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            var items: [CacheItem] = []
            let single = [(CacheItem.Kind.model, model), (.dataset, dataset), (.reference, reference)]
            for (kind, ids) in single {
                for id in ids {
                    guard HFCache.validRepoID(id) else { throw PTBError.invalidArgument("'\(id)' is not a Hugging Face id (org/name).") }
                    items.append(CacheItem(kind: kind, repoID: id, revision: revision ?? "main"))
                }
            }
            if list != nil || items.isEmpty {
                let url = try list.map { URL(fileURLWithPath: $0) } ?? CacheList.defaultList()
                let text: String
                do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                    throw PTBError.config(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
                }
                items = try CacheList.parse(text, source: url.path) + items
            }
            let env = ProcessInfo.processInfo.environment
            let python = env["PTB_PYTHON"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) } ?? home.python
            let (harness, trap) = Harness.cli(home: home, quiet: true)
            defer { withExtendedLifetime(trap) {} }
            let pull = CachePull(home: home, python: python, environment: env, runner: harness.runner) { Console.err($0) }
            Console.err("shared cache: \(pull.sharedCache.path); references: \(home.referencesHub.path)")
            let entries = try await pull.pull(items, workers: workers, interval: progressInterval, dryRun: dryRun)
            if dryRun { return }
            try JSONIO.write(entries, to: home.root.appendingPathComponent("cache/last-pull.json"))
            for line in CachePull.summary(entries) { print(line) }
            if entries.contains(where: { !$0.ok }) { throw ExitCode.failure }
        }
    }
}
