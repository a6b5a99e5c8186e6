import Foundation
import PTBCore
import PTBProcess
#if canImport(Glibc)
import Glibc
#endif

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
    /// SHA-256 of the executable as the wheel ships it: what `ptb run` checks the installed file
    /// against, so a binary replaced at the pinned path (another version, a wrapper) is refused.
    public var executableSHA256: String

    public var installName: String { scaffold.rawValue }
    /// The line `--version` prints, e.g. `2.1.327 (Claude Code)` or `codex-cli 0.163.0`.
    public func versionMatches(_ output: String) -> Bool {
        output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" || $0 == ")" }).contains { $0 == cliVersion }
    }
}

/// The pinned, tested CLI binaries: each pinned scaffold's `binaryPin`, in its own file. These are
/// the values of `containers/ptb.lock` (CLAUDE_CODE_WHEEL…, CLAUDE_CODE_BINARY_SHA256, CODEX_…); a
/// test keeps the two equal. A newer CLI is a change there and in the lock, plus a pass of
/// RealAgentTests.
public enum AgentBinaries {
    /// By scaffold name.
    public static var pins: [AgentBinaryPin] { AgentRegistry.scaffolds.pins }

    /// The wheels' platform tag: the only one pinned.
    public static let platform = "manylinux_2_17_x86_64"

    public static func pin(_ scaffold: Scaffold) -> AgentBinaryPin? { AgentRegistry.scaffolds.type(of: scaffold)?.binaryPin }

    /// A pinned scaffold by name or alias (`claude-code`, `codex`, also `claude`), or an error
    /// that lists what can be installed and how to install the others.
    public static func pin(named name: String) throws -> AgentBinaryPin {
        let types = AgentRegistry.scaffolds.types
        if let type = types.first(where: { $0.scaffold.rawValue == name || $0.installAliases.contains(name) }), let p = type.binaryPin {
            return p
        }
        throw PTBError.unknownChoice(kind: "agent CLI", value: name, valid: pins.map(\.installName), hint: manualInstallHint(types))
    }

    /// "Gemini CLI and OpenCode are npm packages: install them with npm (see README, Running real agents)."
    static func manualInstallHint(_ types: [any CLIScaffoldAdapter.Type]) -> String? {
        var byManager: [(manager: String, names: [String])] = []
        for t in types.sorted(by: { $0.scaffold.rawValue < $1.scaffold.rawValue }) where t.binaryPin == nil {
            guard let m = t.manualInstall?.manager else { continue }
            if let i = byManager.firstIndex(where: { $0.manager == m }) { byManager[i].names.append(t.displayName) } else {
                byManager.append((m, [t.displayName]))
            }
        }
        guard !byManager.isEmpty else { return nil }
        return byManager.map { g in
            g.names.count == 1 ? "\(g.names[0]) is a package of \(g.manager): install it with \(g.manager)"
                : "\(ScaffoldRegistry.listed(g.names)) are \(g.manager) packages: install them with \(g.manager)"
        }.joined(separator: "; ") + " (see README, Running real agents)."
    }

    public static func directory(home: PTBHome, pin: AgentBinaryPin) -> URL {
        home.agents.appendingPathComponent(pin.installName).appendingPathComponent(pin.cliVersion)
    }

    /// The install directory of a scaffold's pinned binary when `ptb setup --agents` put it there.
    public static func installed(home: PTBHome, scaffold: Scaffold?) -> (pin: AgentBinaryPin, directory: URL)? {
        installed(home: home, pin: scaffold.flatMap(pin))
    }

    public static func installed(home: PTBHome, pin: AgentBinaryPin?) -> (pin: AgentBinaryPin, directory: URL)? {
        guard let pin else { return nil }
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

    /// Why the installed executable of `scaffold` is not the pinned one (another version, a
    /// wrapper, a damaged copy), with the command that puts the pinned one back; nil when it is
    /// the pinned file or nothing is installed (then the caller reports the missing CLI).
    /// A file whose size, inode and modification time equal what `ptb setup` recorded is taken as
    /// verified; anything else is hashed (about 1 s per 300 MB once the file is in the page cache).
    public static func mismatch(home: PTBHome, scaffold: Scaffold?, runner: ProcessRunner, versionTimeout: Double = 10) async -> String? {
        guard let install = installed(home: home, scaffold: scaffold) else { return nil }
        let (pin, dir) = (install.pin, install.directory)
        let exe = dir.appendingPathComponent(pin.executable)
        let stamp = FileStamp(exe)
        if let stamp, let record = try? JSONIO.read(AgentInstallRecord.self, from: dir.appendingPathComponent(AgentInstallRecord.fileName)),
           record.pin == pin, record.stamp == stamp, record.sha256 == pin.executableSHA256 {
            return nil
        }
        let found: String
        do { found = try Hashing.sha256(file: exe) } catch { found = "unreadable (\(error))" }
        if found == pin.executableSHA256 { return nil }
        let version = await versionLine(exe, pin: pin, runner: runner, timeout: versionTimeout).map { "`--version` says '\($0)'" } ?? "`--version` gave no answer"
        return "the \(pin.installName) CLI at \(exe.path) is not the pinned one: expected \(pin.cliVersion) "
            + "(SHA-256 \(pin.executableSHA256), from \(pin.package)==\(pin.packageVersion)), found SHA-256 \(found), \(stamp.map { "\($0.size) bytes" } ?? "size unknown"); \(version). "
            + "Reinstall the pinned CLI with `ptb setup --skip-env --skip-models --agents \(pin.installName)`."
    }

    /// HOME and the scaffold's own variables for `--version` (`scratch` is a fresh, empty directory):
    /// the binary must neither read nor write the user's CLI state.
    public static func versionEnvironment(pin: AgentBinaryPin, scratch: URL) -> [String: String] {
        var env = AgentRegistry.scaffolds.type(of: pin.scaffold)?.versionEnvironment(scratch: scratch) ?? [:]
        env["HOME"] = scratch.path
        return env
    }

    /// The first line the binary prints for `--version` within `timeout` seconds, with a fresh HOME
    /// so that it reads no user state; nil when it prints nothing, fails to start or hangs. It runs
    /// in its own process group, killed whole afterwards: nothing it started stays behind.
    static func versionLine(_ exe: URL, pin: AgentBinaryPin, runner: ProcessRunner, timeout: Double) async -> String? {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-agent-version-\(UUID().uuidString.prefix(8))")
        guard (try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("version.out")
        var env = versionEnvironment(pin: pin, scratch: scratch)
        env["PATH"] = "/usr/bin:/bin"
        guard let child = try? await runner.start(Command(exe.path, ["--version"], environment: env), output: .file(outURL)) else { return nil }
        await withTaskGroup(of: Bool.self) { g in
            g.addTask { _ = await child.wait(); return true }
            g.addTask { (try? await Task.sleep(for: .seconds(timeout))) != nil ? false : true }
            if await g.next() == false { child.signalGroup(SIGKILL) }
            g.cancelAll()
        }
        child.signalGroup(SIGKILL)
        let data = (try? Data(contentsOf: outURL)) ?? Data()
        let line = String(decoding: data.prefix(400), as: UTF8.self).split(separator: "\n").first.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        return line?.isEmpty == false ? line : nil
    }
}

/// Size, inode and modification time of a file: what changes when a file is replaced or rewritten.
public struct FileStamp: Sendable, Equatable, Codable {
    public var size: Int
    public var inode: UInt64
    public var modified: Double

    public init?(_ url: URL) {
        var st = stat()
        guard stat(url.path, &st) == 0 else { return nil }
        size = Int(st.st_size)
        inode = UInt64(st.st_ino)
        modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }
}

/// `ptb-install.json` in an install directory: the pin it was installed from and the executable
/// as `ptb setup` verified it (hash and stamp), so that `ptb run` re-hashes only a changed file.
public struct AgentInstallRecord: Sendable, Equatable, Codable {
    public static let fileName = "ptb-install.json"
    public var pin: AgentBinaryPin
    public var sha256: String
    public var stamp: FileStamp

    public init(pin: AgentBinaryPin, sha256: String, stamp: FileStamp) {
        self.pin = pin
        self.sha256 = sha256
        self.stamp = stamp
    }
}
