import ArgumentParser
import Foundation
import PTBCommands
import PTBCore
import PTBRunner
import PTBSandbox
import Testing

/// `ptb run`'s flags and run config files are the same options (`RunOptions`).
@Suite struct RunOptionsFlagTests {
    @Test func everyRunOptionHasItsFlagOnPtbRun() throws {
        let run = try #require(PTBCommand.configuration.subcommands.first { $0._commandName == "run" })
        let help = PTBCommand.helpMessage(for: run, columns: 400)
        for key in RunOptions.Key.allCases {
            for flag in key.flag.split(separator: ",").map({ $0.split(separator: " ")[0] }) {
                #expect(help.contains(" \(flag) ") || help.contains(" \(flag)\n") || help.contains(" \(flag) <"),
                        "`ptb run` has no \(flag) for \(key.rawValue)")
            }
            // The help text is the definition's (flags that differ from the key word it themselves).
            if key.flag.hasPrefix("--" + key.rawValue.replacingOccurrences(of: "_", with: "-")) {
                #expect(help.contains(key.help), "`ptb run --help` does not show RunOptions' text for \(key.rawValue)")
            }
        }
    }

    @Test func aRunConfigsErrorsNameTheFileAndLine() throws {
        func error(_ text: String) -> String {
            do { _ = try RunConfigFile.parse(text, path: "run.yaml", base: nil); return "" } catch { return "\(error)" }
        }
        #expect(error("task: arith\nmodel: tiny\n\neval_limt: 20\n").hasPrefix("config run.yaml:4: unknown key 'eval_limt' (did you mean 'eval_limit'?). Nothing was run. Keys: task, model,"))
        #expect(error("task: arith\nhours: ten\n") == "config run.yaml:2: 'hours' wants a number (got 'ten'). Nothing was run.")
        #expect(error("task: arith\nintegrity_policy: lenient\n")
                == "config run.yaml:2: 'integrity_policy': unknown integrity policy 'lenient'. Valid integrity policies: original, flags-only, strict, report, ptb. Nothing was run.")
        // Core reads any sandbox name; the runtimes' registry refuses a wrong one on its line.
        #expect(error("task: arith\n\nsandbox: firejail\n")
                == "config run.yaml:3: 'sandbox': unknown sandbox 'firejail'. Valid sandboxes: \(Sandboxes.names.joined(separator: ", ")). Nothing was run.")
        #expect(try RunConfigFile.parse("sandbox: podman\n", path: "run.yaml", base: nil).sandbox == .podman)
        let o = try RunConfigFile.parse("task: arith\njudges: [judge-codex, j.yaml]\nagent_config: a.yaml\n", path: "run.yaml", base: URL(fileURLWithPath: "/cfg"))
        #expect(o.judges == ["judge-codex", "/cfg/j.yaml"] && o.agentConfig == "/cfg/a.yaml")
        #expect(try RunConfigFile.parse("", path: "run.yaml", base: nil) == RunOptions())
    }
}
