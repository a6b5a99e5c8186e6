import ArgumentParser
import Foundation
import PTBAgents
import PTBCore

/// Shell completion of values that only the installation knows (`ptb --generate-completion-script
/// bash|zsh|fish` writes the script; the shell calls back into ptb for these lists).
enum Completions {
    static var home: PTBHome { PTBHome.fromEnvironment() }

    @Sendable static func models(_ words: [String]) -> [String] {
        ((try? ModelCatalog.load(home: home))?.entries.map(\.id)) ?? []
    }

    @Sendable static func agents(_ words: [String]) -> [String] {
        AgentRegistry.list(home: home, withInstalled: false).map(\.name)
    }

    /// Run ids in the runs directory given on the line (`--runs-dir D`), else $PTB_HOME/runs, newest first.
    @Sendable static func runIDs(_ words: [String]) -> [String] {
        let dir = words.firstIndex(of: "--runs-dir").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
            .map { URL(fileURLWithPath: $0) } ?? home.runs
        let fm = FileManager.default
        let ids = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter {
            fm.fileExists(atPath: dir.appendingPathComponent($0).appendingPathComponent("run.json").path)
        }
        return ["latest"] + ids.sorted(by: >)
    }
}
