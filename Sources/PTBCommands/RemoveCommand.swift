import ArgumentParser
import Foundation
import PTBCore
import PTBRunner
import PTBStore

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete one run directory (asks first; never touches other runs).",
        discussion: """
            Examples:
              ptb rm 2026-12-07T09-00-00-arith-tiny-reference     # asks for confirmation
              ptb rm latest --yes                                  # the newest run, no question
            A run that a live ptb process is driving is refused. The index drops the run.
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "Run id, a unique prefix of it, `latest`, or the run directory.") var runID: String
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Flag(name: [.customShort("y"), .long], help: "Do not ask for confirmation.") var yes = false

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let runs = runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs
            let paths = try RunStore.find(runID, in: [runs])
            let m = try? RunStore.load(paths)
            let what = m.map { "\($0.spec.task) / \($0.spec.model) / \($0.spec.agent), \($0.outcome.rawValue)" } ?? "unreadable manifest"
            if !yes {
                guard isatty(STDIN_FILENO) != 0 else {
                    throw PTBError.invalidArgument("ptb rm asks for confirmation on a terminal; pass --yes to delete \(paths.id) without asking.")
                }
                FileHandle.standardOutput.write(Data("delete run \(paths.id) (\(what)) at \(paths.dir.path)? [y/N] ".utf8))
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    print("kept \(paths.id)")
                    return
                }
            }
            try RunStore.remove(paths)
            // The index is derived: rebuild it from what is left, so no page shows the run.
            if let index = try? RunIndex(path: home.index) { _ = try? index.rebuild(from: [runs]) }
            print("deleted \(paths.id)")
        }
    }
}
