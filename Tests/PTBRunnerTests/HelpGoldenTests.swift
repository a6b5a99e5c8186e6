import ArgumentParser
import Foundation
import PTBCommands
import Testing

/// `--help` of every subcommand, against golden files in Golden/help/ (`PTB_UPDATE_GOLDEN=1`
/// rewrites them), so a change to what users read shows up in review; and every subcommand's
/// help carries an example.
@Suite struct HelpGoldenTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/help")

    /// Every command under `ptb` with its words ("ptb sweep submit"), hidden ones included.
    static func commands() -> [(words: [String], type: any ParsableCommand.Type)] {
        var out: [(words: [String], type: any ParsableCommand.Type)] = []
        func walk(_ t: any ParsableCommand.Type, _ words: [String]) {
            out.append((words, t))
            for sub in t.configuration.subcommands { walk(sub, words + [sub._commandName]) }
        }
        walk(PTBCommand.self, ["ptb"])
        return out
    }

    @Test func everySubcommandsHelpMatchesItsGoldenFile() throws {
        let update = ProcessInfo.processInfo.environment["PTB_UPDATE_GOLDEN"] == "1"
        if update { try FileManager.default.createDirectory(at: Self.dir, withIntermediateDirectories: true) }
        var expectedFiles: Set<String> = []
        for (words, type) in Self.commands() {
            // A fixed width: the golden must not depend on the terminal the tests run in.
            let help = PTBCommand.helpMessage(for: type, includeHidden: false, columns: 100) + "\n"
            let file = Self.dir.appendingPathComponent(words.joined(separator: "-") + ".txt")
            expectedFiles.insert(file.lastPathComponent)
            if update { try help.write(to: file, atomically: true, encoding: .utf8); continue }
            let golden = try? String(contentsOf: file, encoding: .utf8)
            #expect(golden == help, "`\(words.joined(separator: " ")) --help` differs from \(file.lastPathComponent) (PTB_UPDATE_GOLDEN=1 rewrites it):\n\(help)")
        }
        // A golden for a command that no longer exists is stale.
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: Self.dir.path)) ?? [])
        #expect(present == expectedFiles, "stale: \(present.subtracting(expectedFiles).sorted()); missing: \(expectedFiles.subtracting(present).sorted())")
        #expect(expectedFiles.count >= 30, "found only \(expectedFiles.sorted())")
    }

    /// Issue 18: an example in every subcommand's help (commands that only group others excepted,
    /// as are hidden ones).
    @Test func everySubcommandShowsAnExample() {
        var missing: [String] = []
        for (words, type) in Self.commands() where words.count > 1 && type.configuration.shouldDisplay {
            let runnable = type.configuration.subcommands.isEmpty
            let help = PTBCommand.helpMessage(for: type, columns: 100)
            let invocation = "  " + words.joined(separator: " ")
            let usesIt = help.contains(invocation + " ") || help.contains(invocation + "\n")
            if runnable, !(help.contains("Examples:") && usesIt) {
                missing.append(words.joined(separator: " "))
            }
        }
        #expect(missing.isEmpty, "no `Examples:` block that uses the command in: \(missing)")
    }
}
