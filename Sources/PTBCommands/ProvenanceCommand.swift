import ArgumentParser
import Foundation
import PTBCore
import PTBIntegrity

struct ProvenanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Check that a submitted model was fine-tuned from its base (and is not a reference model).",
        discussion: """
            Compares the candidate's tensors with the base's (and each --reference's, e.g. the instruct model the \
            rules forbid): relative distances, the cosine between the candidate's update and the reference's, byte \
            identity, config.json architecture fields and the tokenizer vocabulary. Weights are streamed tensor by \
            tensor from memory-mapped safetensors (sharded checkpoints included), so memory stays small.

            Exit status: 0 when the verdict is OK, 1 when it is FLAGGED, 2 when the check could not run.

            Examples:
              ptb provenance --base BASE_DIR --candidate runs/RUN_ID/task/final_model --reference instruct=INSTRUCT_DIR
            """)

    @Option(help: "Base model directory (or .safetensors file).") var base: String
    @Option(help: "Candidate model directory (e.g. a run's final_model).") var candidate: String
    @Option(name: .customLong("reference"), help: ArgumentHelp("A model the candidate must not be or descend from, as NAME=DIR; repeatable.", valueName: "name=dir"))
    var references: [String] = []
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Threads for the comparison (default: all cores).") var jobs: Int?
    @Option(help: "Required ‖c−r‖/‖c−b‖ for every reference (default \(ProvenancePolicy.standard.margin)).") var margin: Double?
    @Option(help: "Largest allowed cos(c−b, r−b) (default \(ProvenancePolicy.standard.maxUpdateCosine)).") var maxUpdateCosine: Double?
    @Option(help: "Largest allowed ‖c−b‖/‖b‖ (default \(ProvenancePolicy.standard.maxRelativeDistance)).") var maxDistance: Double?
    @Option(help: "Most changed tensors to list in the table.") var top: Int = 10

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if let margin, !(margin > 0) { throw ValidationError("--margin must be positive.") }
    }

    func run() async throws {
        var policy = ProvenancePolicy.standard
        if let margin { policy.margin = margin }
        if let maxUpdateCosine { policy.maxUpdateCosine = maxUpdateCosine }
        if let maxDistance { policy.maxRelativeDistance = maxDistance }
        let report: ProvenanceReport
        let started = Date()
        do {
            let refs = try references.map { try NamedCheckpoint(parsing: $0) }
            report = try Provenance(base: URL(fileURLWithPath: base).standardizedFileURL,
                                    candidate: URL(fileURLWithPath: candidate).standardizedFileURL,
                                    references: refs, policy: policy,
                                    jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount).run()
        } catch let e as SafetensorsError {
            Console.err("error: \(e)")
            throw ExitCode(2)
        } catch let e as IntegrityError {
            Console.err("error: \(e)")
            throw ExitCode(2)
        }
        let seconds = Date().timeIntervalSince(started)
        let bytes = report.base.tensorBytes + report.candidate.tensorBytes + report.references.reduce(0) { $0 + $1.checkpoint.tensorBytes }
        if json {
            print(String(decoding: try JSONIO.encode(report), as: UTF8.self), terminator: "")
        } else {
            print(report.renderText(top: top))
        }
        Console.err(String(format: "compared %.2f GB of tensors in %.2f s (%.2f GB/s)", Double(bytes) / 1e9, seconds, Double(bytes) / 1e9 / max(seconds, 1e-9)))
        if report.verdict.status == .flagged { throw ExitCode(1) }
    }
}
