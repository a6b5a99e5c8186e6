import ArgumentParser
import Foundation
import PTBCore
import PTBProcess
import PTBRunner

public struct PTBCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ptb",
        abstract: "PostTrainBench: measure how well AI agents post-train a base LLM.",
        discussion: """
            A run gives an agent a base model, a benchmark and a time budget; ptb prepares the workspace, runs the \
            agent in a sandbox, collects final_model, checks integrity, evaluates it with a sealed evaluator and \
            records the result. State lives in $PTB_HOME (default ~/.ptb).

            Exit codes: 0 success; 1 failed while running, or an input that exists but cannot be used (`Error: …` says what to do); 64 a mistake in what was typed (with the subcommand's usage); 3 `ptb eval` stopped at --judge-budget-usd. A run id can be a unique prefix or `latest`.
            """,
        version: PTBVersion.current,
        subcommands: [Run.self, Resume.self, Status.self, RemoveCommand.self, TasksCommand.self, ModelsCommand.self, Eval.self, ScoreCommand.self, DataCommand.self, Setup.self, Index.self, ImportCommand.self, LeaderboardCommand.self, BaselinesCommand.self, BaselineRecordCommand.self, ProvenanceCommand.self, FingerprintCommand.self, ScanCommand.self, CheckCommand.self, SweepCommand.self, AgentsCommand.self, TraceCommand.self, ServeCommand.self, WebFixtureCommand.self, ImageCommand.self, CacheCommand.self, DoctorCommand.self])

    public init() {}
}

/// Options every command that touches PTB_HOME shares.
struct HomeOptions: ParsableArguments {
    @Option(name: .customLong("home"), help: "ptb's state directory (default: $PTB_HOME or ~/.ptb).")
    var home: String?

    var ptbHome: PTBHome {
        home.map { PTBHome(root: URL(fileURLWithPath: $0)) } ?? PTBHome.fromEnvironment()
    }
}

enum Console {
    static func err(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}

extension Harness {
    /// The harness of a CLI process: one runner whose children die with ptb on Ctrl-C.
    static func cli(home: PTBHome, quiet: Bool = false) -> (Harness, SignalTrap) {
        let runner = ProcessRunner()
        let trap = SignalTrap(registry: runner.registry) { sig in
            Console.err("\nptb: received signal \(sig); stopping child processes (the run can be continued with `ptb resume`)")
        }
        let h = Harness(home: home, runner: runner, ptbExecutable: Harness.currentExecutable(),
                        environment: ProcessInfo.processInfo.environment, echoAgent: !quiet) { Console.err($0) }
        return (h, trap)
    }
}

/// Turns library errors into one clear line and a non-zero exit, instead of a stack of types.
func reporting<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let e as PTBError {
        switch e {
        // A mistake in what was typed: exit 64 with the subcommand's usage, as the parser's own
        // errors (a ValidationError thrown from run() would show the top-level usage instead).
        case .unknownChoice, .invalidArgument:
            Console.err("Error: \(e.description)\n\(subcommandUsage())")
            throw ExitCode.validationFailure
        // Everything else happened while running: what and what to do, exit 1, no usage dump.
        default:
            Console.err("Error: \(e.description)")
            throw ExitCode.failure
        }
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch let e as ValidationError {
        Console.err("Error: \(e.message)\n\(subcommandUsage())")
        throw ExitCode.validationFailure
    } catch {
        Console.err("Error: \(error)")
        throw ExitCode.failure
    }
}

/// The usage of the subcommand this process was started as (re-parsed from its arguments,
/// which already parsed once), with the pointer to its --help.
func subcommandUsage(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> String {
    guard let parsed = try? PTBCommand.parseAsRoot(arguments) else { return PTBCommand.usageString() }
    let usage = PTBCommand.usageString(for: Swift.type(of: parsed))
    // "ptb sweep submit [<options>] …" → "ptb sweep submit": the words before the first option.
    let name = usage.split(separator: " ").prefix { !$0.hasPrefix("[") && !$0.hasPrefix("<") && !$0.hasPrefix("-") }.joined(separator: " ")
    return "Usage: \(usage)\n  See '\(name) --help' for more information."
}

/// The executable's whole job: parse and run (the `ptb` target stays a one-liner).
public func main() async {
    await PTBCommand.main()
}
