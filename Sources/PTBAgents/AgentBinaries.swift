import Foundation
import PTBCore

/// A CLI scaffold's native binary as shipped inside a PyPI wheel: no Node.js or npm needed, so it
/// installs on any x86-64 Linux node that has Python's pip. `ptb setup --agents` downloads the
/// pinned wheel, checks its SHA-256 and unpacks only what the CLI needs into
/// `$PTB_HOME/agents/<scaffold>/<cli version>/`.
public struct AgentBinaryPin: Sendable, Equatable, Codable {
    public var scaffold: Scaffold
    /// The PyPI distribution and its version (`pip download NAME==VERSION`).
    public var package: String
    public var packageVersion: String
    /// What the binary's `--version` reports (the CLI's own version, not the wheel's).
    public var cliVersion: String
    public var wheel: String
    public var sha256: String
    /// The wheel member (a file) or member prefix (a directory, ending in `/`) to unpack; a
    /// directory keeps its layout below the prefix (Codex finds its helpers beside itself).
    public var member: String
    /// The executable, relative to the install directory.
    public var executable: String

    public var installName: String { scaffold.rawValue }
    /// The line `--version` prints, e.g. `2.1.327 (Claude Code)` or `codex-cli 0.163.0`.
    public func versionMatches(_ output: String) -> Bool {
        output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" || $0 == ")" }).contains { $0 == cliVersion }
    }
}

/// The pinned, tested CLI binaries. These are the values of `containers/ptb.lock`
/// (CLAUDE_CODE_WHEEL…, CODEX_WHEEL…); a test keeps the two equal. A newer CLI is a change here
/// and in the lock, plus a pass of RealAgentTests.
public enum AgentBinaries {
    public static let pins: [AgentBinaryPin] = [
        AgentBinaryPin(scaffold: .claudeCode, package: "claude-agent-sdk", packageVersion: "0.2.184", cliVersion: "2.1.327",
                       wheel: "claude_agent_sdk-0.2.184-py3-none-manylinux_2_17_x86_64.whl",
                       sha256: "40509cadce72d62ded6c3ed831bbcffbff1a7fed8a19cfe1670b3a55418ed089",
                       member: "claude_agent_sdk/_bundled/claude", executable: "bin/claude"),
        AgentBinaryPin(scaffold: .codex, package: "openai-codex-cli-bin", packageVersion: "0.163.0", cliVersion: "0.163.0",
                       wheel: "openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_x86_64.whl",
                       sha256: "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d",
                       member: "codex_cli_bin/", executable: "bin/codex"),
    ]

    /// The wheels' platform tag: the only one pinned.
    public static let platform = "manylinux_2_17_x86_64"

    public static func pin(_ scaffold: Scaffold) -> AgentBinaryPin? { pins.first { $0.scaffold == scaffold } }

    /// `claude-code`, `codex` (also `claude`), or an error that lists what can be installed.
    public static func pin(named name: String) throws -> AgentBinaryPin {
        let key = name == "claude" ? Scaffold.claudeCode.rawValue : name
        if let s = Scaffold(rawValue: key), let p = pin(s) { return p }
        throw PTBError.unknownChoice(kind: "agent CLI", value: name, valid: pins.map(\.installName),
                                     hint: "Gemini CLI and OpenCode are npm packages: install them with npm (see README, Running real agents).")
    }

    public static func directory(home: PTBHome, pin: AgentBinaryPin) -> URL {
        home.agents.appendingPathComponent(pin.installName).appendingPathComponent(pin.cliVersion)
    }

    /// The install directory of a scaffold's pinned binary when `ptb setup --agents` put it there.
    public static func installed(home: PTBHome, scaffold: Scaffold?) -> (pin: AgentBinaryPin, directory: URL)? {
        guard let scaffold, let pin = pin(scaffold) else { return nil }
        let dir = directory(home: home, pin: pin)
        guard FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent(pin.executable).path) else { return nil }
        return (pin, dir)
    }

    /// Every version of a scaffold found under `$PTB_HOME/agents/<scaffold>/` (newest-looking last).
    public static func installedVersions(home: PTBHome, scaffold: Scaffold) -> [String] {
        guard let pin = pin(scaffold) else { return [] }
        let root = home.agents.appendingPathComponent(pin.installName)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter {
            FileManager.default.isExecutableFile(atPath: root.appendingPathComponent($0).appendingPathComponent(pin.executable).path)
        }.sorted()
    }
}
