import ArgumentParser
import Foundation
import PTBCore
import PTBResults

struct BaselinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baselines",
        abstract: "Show the zero-shot baselines, the benchmark weights derived from them, and the baseline scores.",
        discussion: """
            Examples:
              ptb baselines
              ptb baselines --baselines aggregated_baseline.csv
            """)

    @Option(help: "A baseline table in the original's aggregated_baseline.csv format (default: the published one).")
    var baselines: String?

    func run() async throws {
        try await reporting {
            let table = try baselines.map { path in
                let url = URL(fileURLWithPath: path)
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw PTBError.io("cannot read \(path)") }
                return try BaselineTable.parseCSV(text, path: path)
            } ?? BaselineTable.published
            print(try BaselineReport(table: table).text)
        }
    }
}
