import ArgumentParser
import Foundation
@testable import PTBCommands
import PTBTestSupport
import Testing

/// `--help` is the CLI's contract with its users and scripts: a flag renamed or dropped shows up
/// here as a diff (`PTB_UPDATE_GOLDEN=1` rewrites the files after an intended change).
struct HelpGoldenTests {
    @Test func topLevelHelp() throws {
        try expectGolden(PTBCommand.helpMessage(columns: 100), "help.txt")
    }

    @Test func evalAndScoreHelp() throws {
        try expectGolden(PTBCommand.helpMessage(for: Eval.self, columns: 100), "help-eval.txt")
        try expectGolden(PTBCommand.helpMessage(for: ScoreCommand.self, columns: 100), "help-score.txt")
    }

    /// Every subcommand parses its own `--help` request (no flag clashes between option groups).
    @Test func everySubcommandHasHelp() throws {
        for sub in PTBCommand.configuration.subcommands {
            let text = PTBCommand.helpMessage(for: sub, columns: 100)
            #expect(text.contains("USAGE: ptb"), "\(sub)")
        }
    }
}
