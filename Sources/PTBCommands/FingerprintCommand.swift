import ArgumentParser
import Foundation
import PTBCore
import PTBIntegrity

struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Fingerprint checkpoints and compare them the way the duplicate-submission check does.",
        subcommands: [Show.self, Compare.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a checkpoint's fingerprint (per-tensor SHA-256 and keyed samples) as JSON.",
            discussion: """
                Examples:
                  ptb fingerprint show runs/RUN_ID/task/final_model
                """)
        @OptionGroup var home: HomeOptions
        @Argument(help: "Model directory or .safetensors file.") var checkpoint: String

        func run() throws {
            let f = try Fingerprint.compute(URL(fileURLWithPath: checkpoint), key: try Fingerprint.installationKey(home.ptbHome))
            print(String(decoding: try JSONIO.encode(f), as: UTF8.self), terminator: "")
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Is CANDIDATE a copy (exact or with noise) of any OTHER checkpoint, both fine-tuned from --base?",
            discussion: """
                distance = ‖c−a‖/‖a−b‖ (the candidate's distance from the other checkpoint, in units of that \
                checkpoint's own update from the base), estimated from the keyed samples. Exit status: 0 when \
                nothing matches, 1 when something does, 2 when a checkpoint cannot be read.

                Examples:
                  ptb fingerprint compare --base BASE_DIR runs/A/task/final_model runs/B/task/final_model
                """)
        @OptionGroup var home: HomeOptions
        @Option(help: "The base model both descend from.") var base: String
        @Option(help: "Near-duplicate threshold on the distance.") var threshold = FingerprintComparison.defaultThreshold
        @Option(help: "Near-duplicate threshold on the update cosine.") var minUpdateCosine = FingerprintComparison.defaultMinUpdateCosine
        @Flag(help: "Print the comparisons as JSON.") var json = false
        @Argument(help: "The candidate checkpoint.") var candidate: String
        @Argument(help: "Checkpoints to compare it with.") var others: [String]

        func run() throws {
            let key = try Fingerprint.installationKey(home.ptbHome)
            let load = { (p: String) throws -> Fingerprint in
                do { return try Fingerprint.compute(URL(fileURLWithPath: p), key: key) } catch {
                    Console.err("error: \(error)")
                    throw ExitCode(2)
                }
            }
            let b = FingerprintComparison.Decoded(try load(base)), c = FingerprintComparison.Decoded(try load(candidate))
            let results = try others.map { try FingerprintComparison.compare(candidate: c, other: .init(load($0)), base: b, otherName: $0, threshold: threshold, minUpdateCosine: minUpdateCosine) }
            if json {
                print(String(decoding: try JSONIO.encode(results), as: UTF8.self), terminator: "")
            } else {
                for r in results { print("\(r.verdict.rawValue): \(r.summary)") }
            }
            if results.contains(where: \.isDuplicate) { throw ExitCode(1) }
        }
    }
}
