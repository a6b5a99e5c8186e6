import Foundation
import PTBCore
import PTBSandbox

/// `ptb run --config run.yaml`: the run options (`RunOptions`, one key per flag, with
/// underscores) as a file. Flags given on the command line win.
public enum RunConfigFile {
    /// Reads and checks a run config; relative paths resolve against the file's directory.
    public static func load(_ url: URL) throws -> RunOptions {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PTBError.config(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        return try parse(text, path: url.path, base: url.deletingLastPathComponent())
    }

    public static func parse(_ text: String, path: String, base: URL?) throws -> RunOptions {
        let keys = RunOptions.Key.allCases.map(\.rawValue)
        do {
            let doc = try ConfigKeys.check(text: text, path: path, allowed: keys)
            let options = doc == nil ? RunOptions() : try ConfigKeys.decode(RunOptions.self, text: text, path: path, document: doc)
            // Core reads any sandbox name; the runtimes' registry knows the valid ones.
            if let s = options.sandbox {
                do { _ = try Sandboxes.type(s) } catch {
                    throw ConfigKeys.Failure(path: path, problems: [.init(line: doc?.lines[RunOptions.Key.sandbox.rawValue], message: "'sandbox': \(error)")])
                }
            }
            return base.map { options.resolvingPaths(against: $0) } ?? options
        } catch let f as ConfigKeys.Failure {
            let unknownKey = f.problems.contains { $0.message.contains("unknown key") }
            throw PTBError.config(path: f.location, reason: f.reason + ". Nothing was run."
                + (unknownKey ? " Keys: " + keys.joined(separator: ", ") + "." : ""))
        }
    }
}
