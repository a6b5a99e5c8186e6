import Foundation
import PTBAgents
import PTBCore
import PTBProcess

/// `ptb setup --agents claude-code,codex`: the pinned CLI binaries from their PyPI wheels, without
/// Node.js. The wheel is downloaded once into `$PTB_HOME/cache/wheels` (pip, no dependencies),
/// its SHA-256 checked against the pin, and only the CLI's files unpacked into
/// `$PTB_HOME/agents/<scaffold>/<version>/`, where the adapters and the sandbox find them.
public struct AgentInstaller: Sendable {
    public let home: PTBHome
    public let runner: ProcessRunner
    public let log: @Sendable (String) -> Void
    /// The interpreter whose pip downloads and whose zipfile unpacks (any Python 3 with pip).
    public var python: String

    public init(home: PTBHome, runner: ProcessRunner, python: String = "python3", log: @escaping @Sendable (String) -> Void) {
        self.home = home
        self.runner = runner
        self.python = python
        self.log = log
    }

    public var cache: URL { home.root.appendingPathComponent("cache/wheels") }

    /// Installs each named CLI; returns the executables.
    @discardableResult
    public func install(_ names: [String], force: Bool) async throws -> [URL] {
        #if !arch(x86_64)
        throw PTBError.invalidArgument("the pinned CLI wheels are for x86-64 Linux (\(AgentBinaries.platform)) only; on this machine install the CLIs with npm (README, Running real agents).")
        #else
        var out: [URL] = []
        for name in names { out.append(try await install(try AgentBinaries.pin(named: name), force: force)) }
        return out
        #endif
    }

    func install(_ pin: AgentBinaryPin, force: Bool) async throws -> URL {
        let dir = AgentBinaries.directory(home: home, pin: pin)
        let exe = dir.appendingPathComponent(pin.executable)
        let fm = FileManager.default
        if !force, fm.isExecutableFile(atPath: exe.path) {
            // The pinned file itself, not just a binary that prints the pinned version.
            if let wrong = await AgentBinaries.mismatch(home: home, scaffold: pin.scaffold, runner: runner) {
                log("[setup] replacing what is installed: \(wrong)")
            } else {
                // Verified just now (hashed, or unchanged since the record): no second hash.
                try? writeRecord(pin, directory: dir, sha256: pin.executableSHA256)
                log("\(pin.installName) \(pin.cliVersion) already installed at \(dir.path) (use --force to reinstall)")
                return exe
            }
        }
        let wheel = try await download(pin)
        let partial = dir.deletingLastPathComponent().appendingPathComponent(".\(pin.cliVersion).partial")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        log("[setup] unpack \(pin.member) from \(pin.wheel)")
        let (t, lines) = try await runner.run(Command(python, ["-c", Self.unpackScript, wheel.path, pin.member, partial.path, pin.executable],
                                                      environment: ProcessInfo.processInfo.environment))
        guard t.succeeded else {
            try? fm.removeItem(at: partial)
            throw PTBError.io("unpacking \(wheel.path) failed (\(t)): \(lines.suffix(5).joined(separator: " ")). Delete the wheel and run `ptb setup --agents \(pin.installName)` again.")
        }
        let got = try await version(partial.appendingPathComponent(pin.executable), pin: pin)
        guard pin.versionMatches(got) else {
            try? fm.removeItem(at: partial)
            throw PTBError.io("\(pin.installName) from \(pin.wheel) reports version '\(got)', not \(pin.cliVersion): the pin in ptb is wrong; fix the scaffold's binaryPin (its file in Sources/PTBAgents) and containers/ptb.lock together.")
        }
        let hash = try Hashing.sha256(file: partial.appendingPathComponent(pin.executable))
        guard hash == pin.executableSHA256 else {
            try? fm.removeItem(at: partial)
            throw PTBError.io("\(pin.executable) in \(pin.wheel) has SHA-256 \(hash), not the pinned \(pin.executableSHA256): the pin in ptb is wrong; fix the scaffold's binaryPin (its file in Sources/PTBAgents) and containers/ptb.lock together.")
        }
        try? fm.removeItem(at: dir)
        try fm.moveItem(at: partial, to: dir)
        try writeRecord(pin, directory: dir, sha256: hash)
        log("installed \(pin.installName) \(pin.cliVersion) at \(exe.path)")
        return exe
    }

    /// The executable as verified now (its hash and stamp): `ptb run` re-hashes it only when it changed.
    func writeRecord(_ pin: AgentBinaryPin, directory: URL, sha256: String) throws {
        let exe = directory.appendingPathComponent(pin.executable)
        guard let stamp = FileStamp(exe) else { throw PTBError.io("cannot read \(exe.path) after installing it") }
        try JSONIO.write(AgentInstallRecord(pin: pin, sha256: sha256, stamp: stamp),
                         to: directory.appendingPathComponent(AgentInstallRecord.fileName))
    }

    /// The wheel in the cache with the pinned hash, downloaded if absent or different.
    func download(_ pin: AgentBinaryPin) async throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: cache, withIntermediateDirectories: true)
        let wheel = cache.appendingPathComponent(pin.wheel)
        if fm.fileExists(atPath: wheel.path), (try? Hashing.sha256(file: wheel)) == pin.sha256 { return wheel }
        try? fm.removeItem(at: wheel)
        log("[setup] pip download \(pin.package)==\(pin.packageVersion) (\(AgentBinaries.platform))")
        var env = ProcessInfo.processInfo.environment
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        let (t, lines) = try await runner.run(Command(python, [
            "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", AgentBinaries.platform,
            "--progress-bar", "off", "--dest", cache.path, "\(pin.package)==\(pin.packageVersion)",
        ], environment: env))
        guard t.succeeded else {
            throw PTBError.io("pip could not download \(pin.package)==\(pin.packageVersion) (\(t)): \(lines.suffix(5).joined(separator: " ")). Check that PyPI (or your PIP_INDEX_URL mirror) is reachable, or put \(pin.wheel) into \(cache.path) by hand.")
        }
        guard fm.fileExists(atPath: wheel.path) else {
            throw PTBError.io("pip downloaded \(pin.package)==\(pin.packageVersion) but not the file \(pin.wheel) into \(cache.path); the wheel's name changed: update the pin.")
        }
        let got = try Hashing.sha256(file: wheel)
        guard got == pin.sha256 else {
            try? fm.removeItem(at: wheel)
            throw PTBError.io("\(pin.wheel) has SHA-256 \(got), not the pinned \(pin.sha256): the download is corrupt or the package was replaced. It was deleted; nothing was installed.")
        }
        return wheel
    }

    func version(_ exe: URL, pin: AgentBinaryPin) async throws -> String {
        var env = ProcessInfo.processInfo.environment
        // A fresh, empty HOME: `--version` must not read or write the user's CLI state.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-agent-version-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        env.merge(AgentBinaries.versionEnvironment(pin: pin, scratch: scratch)) { $1 }
        let (t, lines) = try await runner.run(Command(exe.path, ["--version"], environment: env))
        guard t.succeeded else { throw PTBError.io("\(exe.path) --version failed (\(t)): \(lines.suffix(3).joined(separator: " "))") }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Unpacks one member, or every member under a prefix (relative layout kept), with the
    /// executable bits the wheel recorded; the named executable is always made executable.
    static let unpackScript = """
        import os, stat, sys, zipfile
        wheel, member, dest, exe = sys.argv[1:5]
        with zipfile.ZipFile(wheel) as z:
            infos = [i for i in z.infolist() if not i.is_dir() and (i.filename == member or (member.endswith('/') and i.filename.startswith(member)))]
            if not infos:
                sys.exit(f'{member} is not in {wheel}')
            for i in infos:
                rel = os.path.join('bin', os.path.basename(member)) if i.filename == member else i.filename[len(member):]
                if rel.endswith('.py') or rel.startswith('..') or os.path.isabs(rel):
                    continue
                target = os.path.join(dest, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(i) as src, open(target, 'wb') as out:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        out.write(chunk)
                mode = (i.external_attr >> 16) & 0o777
                os.chmod(target, 0o755 if (mode & 0o111 or rel == exe) else 0o644)
        print('unpacked', len(infos), 'files')
        """
}
