import ArgumentParser
import Foundation
import PTBCore
import PTBResults
import PTBWeb

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read-only web UI: leaderboard, sweeps, runs, traces, samples and baselines.",
        discussion: """
            Reads ptb runs directories (--runs-dir, default $PTB_HOME/runs; a results directory of sweeps works \
            too) and the same imports and --results directories as `ptb leaderboard`. Binds 127.0.0.1 unless \
            --host says otherwise; with --token every request needs `?token=…` (then kept as a cookie) or \
            `Authorization: Bearer …`. --port 0 picks a free port; the address is printed when listening.

            Examples:
              ptb serve --port 8080
              ptb serve --host 0.0.0.0 --token SECRET --runs-dir /shared/ptb/march/runs
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 8080

    func validate() throws {
        // A larger number wraps around in the socket layer (99999 listened on 34463).
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535 (got \(port)).") }
    }
    @Option(help: "Require this token (or set PTB_SERVE_TOKEN).") var token: String?
    @Option(parsing: .upToNextOption, help: "ptb runs directories (default $PTB_HOME/runs).") var runsDir: [String] = []
    @Option(parsing: .upToNextOption, help: "Original-layout results directories to read in place.") var results: [String] = []
    @Flag(inversion: .prefixedNo, help: "Include the imports in $PTB_HOME/imports.") var imports = true
    @Option(help: "Agent map for the leaderboard (as `ptb leaderboard --agents`).") var agents: String?
    @Option(help: "Bootstrap resamples for the leaderboard interval (0 = none).") var bootstrap = 1000
    @Option(help: "Seconds between refreshes of the run index (new, changed and removed run directories).") var indexRefresh = 3.0

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let token = token ?? ProcessInfo.processInfo.environment["PTB_SERVE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            if token == nil && !["127.0.0.1", "localhost", "::1"].contains(host) {
                Console.err("warning: serving on \(host) without --token: anyone who can reach it can read every run")
            }
            let dirs = runsDir.isEmpty ? [home.runs] : runsDir.map { URL(fileURLWithPath: $0) }
            let config = WebConfig(runsDirs: dirs,
                                   importStore: imports ? ImportStore(home: home) : nil,
                                   resultsDirs: results.map { URL(fileURLWithPath: $0) },
                                   agents: try agents.map { try AgentMap.load(URL(fileURLWithPath: $0)) } ?? .empty,
                                   bootstrap: max(0, bootstrap), token: token,
                                   indexPath: RunCatalog.indexPath(home: home.root, runsDirs: dirs), indexRefreshSeconds: max(0.1, indexRefresh))
            let shownHost = host.contains(":") ? "[\(host)]" : host
            try await WebServer.run(site: WebSite(config: config), host: host, port: port) { bound in
                // Unbuffered: scripts and tests wait for this line to learn the port.
                FileHandle.standardOutput.write(Data("ptb serve: listening on http://\(shownHost):\(bound)/\n".utf8))
            }
        }
    }
}

/// Writes the web UI's test fixture (hidden: for the browser tests and benchmarks/web).
struct WebFixtureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "web-fixture", abstract: "Write the web UI test fixture.", shouldDisplay: false)

    @Argument(help: "Directory to create.") var directory: String
    @Option(help: "Size of the big trace in MB.") var traceMb = 50

    func run() async throws {
        try await reporting {
            let l = try WebFixture.write(to: URL(fileURLWithPath: directory), traceMB: traceMb)
            print("runs: \(l.runsDir.path)\nhome: \(l.home.path)\nbig run: \(WebFixture.bigRun) (\(l.traceLines) trace lines, needle on line \(l.needleLine + 1))")
        }
    }
}
