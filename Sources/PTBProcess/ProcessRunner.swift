import Foundation
import CPTBSys
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

public struct Command: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: URL?

    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], workingDirectory: URL? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The command as a shell line, for logs and error messages.
    public var display: String { ([executable] + arguments).map(shellQuote).joined(separator: " ") }
}

public func shellQuote(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }
    public var description: String {
        switch self {
        case .exited(let c): "exit \(c)"
        case .signaled(let s): "signal \(s)"
        }
    }
}

public enum OutputTarget: Sendable {
    /// Merged stdout+stderr delivered line by line to the caller.
    case lines
    /// Merged stdout+stderr appended to a file (engine logs).
    case file(URL)
    case discard
}

/// A started child. It leads its own process group, so stopping it stops everything it started.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let command: Command
    /// Lines of merged output when started with `.lines`; finishes at EOF.
    public let lines: AsyncStream<String>
    private let waiter: Task<Termination, Never>

    init(pid: pid_t, command: Command, lines: AsyncStream<String>) {
        self.pid = pid
        self.command = command
        self.lines = lines
        self.waiter = Task.detached { await ChildProcess.reap(pid) }
    }

    public var processGroup: pid_t { pid }
    public var live: LiveProcess { LiveProcess(pid: pid, processGroup: pid, startTicks: ProcessInspector.startTicks(pid)) }

    private static func reap(_ pid: pid_t) async -> Termination {
        await withCheckedContinuation { (c: CheckedContinuation<Termination, Never>) in
            let t = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the macros are not imported into Swift.
                let sig = status & 0x7f
                c.resume(returning: sig == 0 ? .exited((status >> 8) & 0xff) : .signaled(sig))
            }
            t.start()
        }
    }

    /// Waits for exit; keeps waiting even if the calling task is cancelled (no zombie is left).
    public func wait() async -> Termination { await waiter.value }

    public func signalGroup(_ sig: Int32) { _ = kill(-pid, sig) }

    /// SIGTERM to the group, SIGKILL after `grace` seconds if it is still there.
    @discardableResult
    public func stop(grace: Double = 10) async -> Termination {
        signalGroup(SIGTERM)
        let pid = self.pid
        return await withTaskGroup(of: Void.self) { g in
            // The SIGKILL comes from a cancellable timer: waiting for the exit itself cannot be
            // cancelled, so it must be what the group's body awaits.
            g.addTask {
                try? await Task.sleep(for: .seconds(grace))
                if !Task.isCancelled { kill(-pid, SIGKILL) }
            }
            let t = await wait()
            g.cancelAll()
            // The leader may be gone while children in its group linger: always sweep the group.
            signalGroup(SIGKILL)
            return t
        }
    }
}

public enum ProcessError: Error, CustomStringConvertible {
    case spawnFailed(command: String, reason: String)
    public var description: String {
        switch self {
        case let .spawnFailed(command, reason): "cannot start `\(command)`: \(reason). Check that the program is installed and on PATH."
        }
    }
}

/// Starts children (always through one spawner thread) and tracks their process groups so a
/// signal to ptb can take them all down.
public final class ProcessRunner: Sendable {
    private let spawner = SpawnThread()
    public let registry: ProcessRegistry

    public init(registry: ProcessRegistry = ProcessRegistry()) {
        self.registry = registry
    }

    public func start(_ command: Command, output: OutputTarget = .lines) async throws -> ChildProcess {
        try await start(command, output: output, inFD: -1)
    }

    /// Like `start`, with the child's stdin a pipe: returns the child and the pipe's write end
    /// (close-on-exec; the caller closes it).
    public func startWithInputPipe(_ command: Command, output: OutputTarget = .lines) async throws -> (ChildProcess, Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProcessError.spawnFailed(command: command.display, reason: "pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        do {
            let child = try await start(command, output: output, inFD: fds[0])
            close(fds[0])
            return (child, fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
    }

    private func start(_ command: Command, output: OutputTarget, inFD: Int32) async throws -> ChildProcess {
        let exe = try Self.resolve(command.executable, path: command.environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        var readFD: Int32 = -1
        var writeFD: Int32 = -1
        switch output {
        case .lines:
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw ProcessError.spawnFailed(command: command.display, reason: "pipe: \(String(cString: strerror(errno)))") }
            readFD = fds[0]; writeFD = fds[1]
            _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        case .file(let url):
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            writeFD = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        case .discard:
            writeFD = open("/dev/null", O_WRONLY | O_CLOEXEC)
        }
        guard writeFD >= 0 else { throw ProcessError.spawnFailed(command: command.display, reason: "cannot open output") }
        let argv = [exe] + command.arguments
        let cwd = command.workingDirectory?.path
        let envp = command.environment.map { "\($0.key)=\($0.value)" }.sorted()
        let wfd = writeFD
        let result: Result<pid_t, ProcessError> = await spawner.run {
            Self.spawn(exe: exe, argv: argv, envp: envp, cwd: cwd, inFD: inFD, outFD: wfd)
                .mapError { ProcessError.spawnFailed(command: command.display, reason: $0.reason) }
        }
        close(writeFD)
        let pid: pid_t
        switch result {
        case .success(let p): pid = p
        case .failure(let e):
            if readFD >= 0 { close(readFD) }
            throw e
        }
        registry.add(pid)
        let stream: AsyncStream<String>
        if readFD >= 0 {
            stream = Self.lineStream(fd: readFD)
        } else {
            stream = AsyncStream { $0.finish() }
        }
        let child = ChildProcess(pid: pid, command: command, lines: stream)
        let reg = registry
        Task.detached { _ = await child.wait(); reg.remove(pid) }
        return child
    }

    /// Runs to completion and returns the exit plus the last `tail` lines of output.
    public func run(_ command: Command, tail: Int = 200) async throws -> (Termination, [String]) {
        let child = try await start(command)
        var lines: [String] = []
        for await line in child.lines {
            lines.append(line)
            if lines.count > tail { lines.removeFirst(lines.count - tail) }
        }
        return (await child.wait(), lines)
    }

    static func resolve(_ name: String, path: String) throws -> String {
        if name.contains("/") { return name }
        if let p = which(name, path: path) { return p }
        throw ProcessError.spawnFailed(command: name, reason: "not found on PATH (\(path))")
    }

    /// The first executable `name` in the directories of `path` (a PATH value), as a shell finds
    /// it; a name with a slash is itself checked. Every PATH lookup in ptb goes through here.
    public static func which(_ name: String, path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let p = "\(dir)/\(name)"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    struct SpawnFailure: Error { let reason: String }

    private static func spawn(exe: String, argv: [String], envp: [String], cwd: String?, inFD: Int32, outFD: Int32) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if inFD >= 0 {
            posix_spawn_file_actions_adddup2(&actions, inFD, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outFD, 2)
        // Children get stdin/stdout/stderr only: an inherited descriptor would let an orphaned
        // grandchild hold ptb's (or its caller's) pipes open.
        ptb_spawn_addclosefrom(&actions, 3)
        if let cwd { ptb_spawn_addchdir(&actions, cwd) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (stop = kill the group), default signal dispositions and an empty
        // mask (ptb ignores/blocks signals it handles itself; children must not inherit that).
        var all = sigset_t(); sigfillset(&all)
        var none = sigset_t(); sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = envp.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attr, cArgs, cEnv)
        if rc != 0 { return .failure(SpawnFailure(reason: String(cString: strerror(rc)))) }
        return .success(pid)
    }

    private static func lineStream(fd: Int32) -> AsyncStream<String> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let t = Thread {
                var pending = [UInt8]()
                var buf = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 65536) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    pending.append(contentsOf: buf[0..<n])
                    while let nl = pending.firstIndex(of: 0x0A) {
                        var lineBytes = Array(pending[..<nl])
                        if lineBytes.last == 0x0D { lineBytes.removeLast() }
                        continuation.yield(String(decoding: lineBytes, as: UTF8.self))
                        pending.removeSubrange(...nl)
                    }
                }
                if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
                close(fd)
                continuation.finish()
            }
            t.start()
        }
    }
}
