import Foundation
import PTBCore
import PTBProcess
#if canImport(Glibc)
import Glibc
#endif

/// `ExecMode` (PTBCore, a run option) made real: `fresh` is a `BubblewrapExecutor` per program,
/// `fork-server` a `ForkServerExecutor`.
extension ExecMode {
    /// Builds the executor and checks it once, so that a broken setup is not mistaken for
    /// failing programs.
    public func makeExecutor(runner: ProcessRunner, python: String? = nil,
                             width: Int = ProcessInfo.processInfo.activeProcessorCount) async throws -> any CodeExecutor & WidthReporting {
        switch self {
        case .fresh:
            let e = try BubblewrapExecutor(runner: runner, python: python, width: width)
            try await e.check()
            return e
        case .forkServer:
            let e = try ForkServerExecutor(runner: runner, python: python, width: width)
            try await e.check()
            return e
        }
    }
}

/// An executor that bounds its own parallelism and may hold processes until shut down.
public protocol WidthReporting: Sendable {
    var width: Int { get }
    /// Lets long-lived helper processes exit (they would die with ptb anyway, but unwaited-for).
    func shutdown() async
}

extension BubblewrapExecutor: WidthReporting {
    public func shutdown() async {}
}
extension ForkServerExecutor: WidthReporting {}

/// Runs Python programs in a per-slot fork server: each of `width` slots starts one Python
/// process once, inside the same bubblewrap sandbox as `BubblewrapExecutor` (per-slot uid when
/// root, no network, read-only host, private scratch `/tmp`, clean environment). Per program the
/// server forks a child that sets the `ExecutionLimits` with `setrlimit`, runs the program with
/// `exec` in fresh globals in an emptied `/tmp`, and is killed (its process group, then every
/// other process in the sandbox) after the wall-clock timeout. This saves the ~25 ms that
/// setpriv → bwrap → prlimit → a fresh interpreter cost per program.
///
/// The trade-off: programs of one slot run one after another in the same sandbox and share the
/// server's interpreter state as it was at fork time. The server is the sandbox's PID 1 and not
/// dumpable, so a program can neither signal nor trace it nor reach its pipes through /proc,
/// and it empties `/tmp` and kills every leftover process between programs — but a kernel-level
/// escape or a leak through a shared resource outlives one program, which it cannot with `fresh`.
/// When a server dies, its slot restarts it and the program it was running is reported failed.
public struct ForkServerExecutor: CodeExecutor {
    public let python: String
    public let limits: ExecutionLimits
    public let width: Int
    public let scratchRoot: URL
    let sandbox: BubblewrapExecutor
    let slots: SlotPool
    let servers: ServerTable

    public init(runner: ProcessRunner = ProcessRunner(), python: String? = nil, limits: ExecutionLimits = .standard,
                width: Int = ProcessInfo.processInfo.activeProcessorCount, scratchRoot: URL? = nil,
                slotUIDBase: UInt32 = BubblewrapExecutor.defaultSlotUIDBase,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        sandbox = try BubblewrapExecutor(runner: runner, python: python, limits: limits, width: width, scratchRoot: scratchRoot,
                                         slotUIDBase: slotUIDBase, environment: environment)
        self.python = sandbox.python
        self.limits = limits
        self.width = sandbox.width
        self.scratchRoot = sandbox.scratchRoot
        slots = SlotPool(width: sandbox.width)
        servers = ServerTable(width: sandbox.width)
        // A write to the pipe of a server that just died must be an error, not a signal that kills ptb.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Same contract as `BubblewrapExecutor.check()`.
    public func check() async throws { try await probe(python: python) }

    public func execute(program: String, timeoutSeconds: Double) async throws -> ExecutionResult {
        let slot = await slots.acquire()
        do {
            let r = try await run(program: program, timeoutSeconds: timeoutSeconds, slot: slot)
            await slots.release(slot)
            return r
        } catch {
            await slots.release(slot)
            throw error
        }
    }

    /// Stops every slot's server: end of input, so each exits and is waited for (its CPU time
    /// then counts as ptb's); killed if it does not within 2 s. (They also die with ptb,
    /// `--die-with-parent`, but then nobody waits for them.)
    public func shutdown() async {
        for s in await servers.takeAll() { await s.finish() }
    }

    /// The host pid of a slot's running server (tests kill it to check recovery).
    func serverPID(slot: Int) async -> pid_t? { await servers.get(slot)?.child.pid }

    private func run(program: String, timeoutSeconds: Double, slot: Int) async throws -> ExecutionResult {
        try Task.checkCancellation()
        var server: ForkServer
        if let s = await servers.get(slot) {
            server = s
        } else {
            server = try await start(slot: slot)
        }
        var outcome = await server.run(request(program: program, timeoutSeconds: timeoutSeconds, slot: slot),
                                       backstop: timeoutSeconds + 10)
        // A server that could not even start its sandbox says nothing about the program: try once more.
        if case .serverFailed(let why) = outcome, why.hasPrefix(BubblewrapExecutor.sandboxFailurePrefix) {
            await retire(server, slot: slot)
            try await Task.sleep(for: .milliseconds(200))
            server = try await start(slot: slot)
            outcome = await server.run(request(program: program, timeoutSeconds: timeoutSeconds, slot: slot),
                                       backstop: timeoutSeconds + 10)
        }
        switch outcome {
        case .reply(let r):
            switch r.status {
            case "timeout":
                return ExecutionResult(status: .timedOut, detail: "no result within \(BubblewrapExecutor.seconds(timeoutSeconds)) s; the program was killed")
            case "signaled":
                return ExecutionResult(status: .failed, detail: BubblewrapExecutor.reason(termination: .signaled(Int32(r.code)), output: r.output))
            default:
                if r.code == 0 { return ExecutionResult(status: .passed, detail: "") }
                return ExecutionResult(status: .failed, detail: BubblewrapExecutor.reason(termination: .exited(Int32(r.code)), output: r.output))
            }
        case .backstop:
            await retire(server, slot: slot)
            return ExecutionResult(status: .timedOut, detail: "no result within \(BubblewrapExecutor.seconds(timeoutSeconds)) s; the execution server was killed")
        case .serverFailed(let why):
            await retire(server, slot: slot)
            try Task.checkCancellation()
            return ExecutionResult(status: .failed, detail: why)
        }
    }

    private func retire(_ server: ForkServer, slot: Int) async {
        await servers.set(slot, nil)
        await server.kill()
        // The slot's uid is reused by the next server: let this sandbox finish dying first.
        if case .perSlotUID(let base) = sandbox.identity { await BubblewrapExecutor.waitUntilGone(uid: base + UInt32(slot)) }
    }

    private func start(slot: Int) async throws -> ForkServer {
        let dir = try BubblewrapExecutor.makeScratch(in: scratchRoot)
        let work = dir.appendingPathComponent("work")
        var uid: uid_t?
        if case .perSlotUID(let base) = sandbox.identity { uid = base + UInt32(slot) }
        guard mkdir(work.path, 0o700) == 0, uid.map({ chown(work.path, $0, $0) == 0 }) ?? true else {
            BubblewrapExecutor.remove(dir)
            throw ExecutionError.scratch("\(work.path): \(String(cString: strerror(errno)))")
        }
        let (child, input) = try await sandbox.runner.startWithInputPipe(command(work: work, slot: slot))
        let s = ForkServer(child: child, input: input, scratch: dir)
        await servers.set(slot, s)
        return s
    }

    /// setpriv (when root) → bwrap → python, as `BubblewrapExecutor.command`, minus prlimit: the
    /// limits are set per program by the forked child, not on the long-lived server.
    func command(work: URL, slot: Int) -> Command {
        var argv: [String] = []
        if case .perSlotUID(let base) = sandbox.identity, let setpriv = sandbox.tools.setpriv {
            let uid = String(base + UInt32(slot))
            argv += [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--no-new-privs", "--"]
        }
        argv += [sandbox.tools.bwrap,
                 "--ro-bind", "/", "/",
                 "--dev", "/dev", "--remount-ro", "/dev",
                 "--proc", "/proc",
                 "--bind", work.path, "/tmp",
                 "--unshare-all",
                 // The server is the namespace's init: it reaps every orphan, and no program can
                 // signal it (the kernel drops signals to a namespace's init from inside).
                 "--as-pid-1", "--die-with-parent", "--new-session",
                 "--chdir", "/tmp", "--",
                 python, "-c", Self.serverSource]
        let env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
                   "PYTHONDONTWRITEBYTECODE": "1"]
        return Command(argv[0], Array(argv.dropFirst()), environment: env)
    }

    struct Request: Encodable {
        var program: String
        var timeout: Double
        var cpu: Int
        var addressSpace: UInt64
        var nproc: Int
        var fileSize: UInt64
        var openFiles: Int
    }

    func request(program: String, timeoutSeconds: Double, slot: Int) -> Request {
        let nproc: Int
        switch sandbox.identity {
        // The slot's uid also runs the server: one more, so the program's budget is fresh mode's.
        case .perSlotUID: nproc = limits.processes + 1
        case .currentUser(let u): nproc = BubblewrapExecutor.threadCount(uid: u) + limits.processes
        }
        return Request(program: program, timeout: timeoutSeconds, cpu: limits.cpuSeconds ?? Int(timeoutSeconds.rounded(.up)) + 1,
                       addressSpace: limits.addressSpaceBytes, nproc: nproc, fileSize: limits.fileSizeBytes, openFiles: limits.openFiles)
    }

    /// The server. Requests on stdin are `<byte length>\n<JSON>`; replies on stdout are one line
    /// `PTB-REPLY <byte length> <JSON>` ({"status": "exited"|"signaled"|"timeout", "code", "output"},
    /// output = the last 16 KiB the program wrote).
    static let serverSource = #"""
import ctypes, json, os, resource, select, signal, sys, time
for _m in ("math", "re", "collections", "itertools", "functools", "typing", "string", "heapq", "bisect", "random", "hashlib", "traceback"):
    __import__(_m)
import traceback
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: programs cannot open /proc/1/fd or trace the server
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
SELF = os.getpid()

def empty_tmp():
    for name in os.listdir("/tmp"):
        p = os.path.join("/tmp", name)
        for _ in range(2):
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    for root, dirs, _files in os.walk(p):
                        for d in dirs:
                            try: os.chmod(os.path.join(root, d), 0o700)
                            except OSError: pass
                    os.chmod(p, 0o700)
                    import shutil
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
                break
            except OSError:
                try: os.chmod(p, 0o700)
                except OSError: pass

def sweep():
    # Everything in this PID namespace but the server is left over from the last program.
    for _ in range(50):
        others = [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) != SELF]
        for pid in others:
            try: os.kill(pid, signal.SIGKILL)
            except OSError: pass
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
        if not others:
            return
        time.sleep(0.002)

def child(req, out_fd):
    code = 1
    try:
        os.setsid()
        libc.prctl(4, 1, 0, 0, 0)
        os.chdir("/tmp")
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0); os.dup2(out_fd, 1); os.dup2(out_fd, 2)
        os.closerange(3, 65536)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        sys.argv = ["-c"]
        for lim, v in ((resource.RLIMIT_CPU, req["cpu"]), (resource.RLIMIT_AS, req["addressSpace"]),
                       (resource.RLIMIT_NPROC, req["nproc"]), (resource.RLIMIT_FSIZE, req["fileSize"]),
                       (resource.RLIMIT_NOFILE, req["openFiles"]), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(lim, (v, v))
        code = 0
        try:
            exec(compile(req["program"], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        except SystemExit as e:
            code = 1
            if e.code is None: code = 0
            elif isinstance(e.code, int): code = e.code & 0xff
            else:
                print(e.code, file=sys.stderr); code = 1
        except BaseException:
            code = 1
            traceback.print_exc()
        try:
            sys.stdout.flush(); sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code)

def run(req):
    empty_tmp()
    out_path = "/tmp/.ptb-output"
    out_fd = os.open(out_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.unlink(out_path)
    stdout.flush()
    pid = os.fork()
    if pid == 0:
        child(req, out_fd)
    status = None
    timed_out = False
    try:
        pfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pfd = None
    deadline = time.monotonic() + req["timeout"]
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        if pfd is not None:
            select.select([pfd], [], [], left)
        else:
            time.sleep(min(left, 0.005))
        r, st = os.waitpid(pid, os.WNOHANG)
        if r == pid:
            status = st
    if pfd is not None:
        os.close(pfd)
    if timed_out:
        try: os.killpg(pid, signal.SIGKILL)
        except OSError: pass
        try: os.waitpid(pid, 0)
        except ChildProcessError: pass
    sweep()
    size = os.fstat(out_fd).st_size
    os.lseek(out_fd, max(0, size - 16384), 0)
    output = os.read(out_fd, 16384).decode("utf-8", "replace")
    os.close(out_fd)
    empty_tmp()
    if timed_out:
        return {"status": "timeout", "code": 0, "output": output}
    if os.WIFSIGNALED(status):
        return {"status": "signaled", "code": os.WTERMSIG(status), "output": output}
    return {"status": "exited", "code": os.WEXITSTATUS(status), "output": output}

while True:
    header = stdin.readline()
    if not header:
        break
    n = int(header)
    data = b""
    while len(data) < n:
        chunk = stdin.read(n - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    try:
        reply = run(json.loads(data))
    except Exception as e:
        reply = {"status": "exited", "code": 1, "output": "execution server: %s: %s" % (type(e).__name__, e)}
    body = json.dumps(reply).encode()
    stdout.write(b"PTB-REPLY %d " % len(body) + body + b"\n")
    stdout.flush()
"""#
}

struct ServerReply: Decodable {
    var status: String
    var code: Int
    var output: String
}

/// One slot's server. Only the slot's holder (SlotPool) touches it, one request at a time.
final class ForkServer: @unchecked Sendable {
    let child: ChildProcess
    let scratch: URL
    private var input: Int32
    private var lines: AsyncStream<String>.Iterator
    /// What the server printed that was not a reply (Python's own errors, bwrap's).
    private var noise: [String] = []
    private let killedByBackstop = OneWayFlag()

    enum Outcome { case reply(ServerReply), backstop, serverFailed(String) }

    init(child: ChildProcess, input: Int32, scratch: URL) {
        self.child = child
        self.input = input
        self.scratch = scratch
        lines = child.lines.makeAsyncIterator()
    }

    func run(_ request: ForkServerExecutor.Request, backstop: Double) async -> Outcome {
        guard let body = try? JSONEncoder().encode(request) else { return .serverFailed("execution server: cannot encode the request") }
        let packet = Data("\(body.count)\n".utf8) + body
        guard write(packet) else { return await died() }
        // The server enforces the timeout itself; this only catches a server that hangs.
        let child = self.child
        let flag = killedByBackstop
        let watchdog = Task {
            try await Task.sleep(for: .seconds(backstop))
            flag.set()
            child.signalGroup(SIGKILL)
        }
        defer { watchdog.cancel() }
        while let line = await lines.next() {
            guard line.hasPrefix("PTB-REPLY ") else {
                // bwrap's and setpriv's own errors come before the server dies; anything else
                // on the reply channel means it cannot be trusted any more.
                guard ["bwrap: ", "setpriv: ", "Traceback", "  "].contains(where: { line.hasPrefix($0) }) || noise.count > 0 else {
                    return .serverFailed("execution server: unexpected output on its reply channel: \(line.prefix(200))")
                }
                noise.append(line)
                if noise.count > 20 { noise.removeFirst() }
                continue
            }
            let rest = line.dropFirst("PTB-REPLY ".count)
            guard let space = rest.firstIndex(of: " "), let n = Int(rest[..<space]) else { return .serverFailed("execution server: malformed reply") }
            let json = Data(rest[rest.index(after: space)...].utf8)
            guard json.count == n, let r = try? JSONDecoder().decode(ServerReply.self, from: json) else {
                return .serverFailed("execution server: malformed reply")
            }
            return .reply(r)
        }
        if killedByBackstop.isSet { return .backstop }
        // A cancelled wait ends the stream early with the server still running a program.
        if Task.isCancelled {
            child.signalGroup(SIGKILL)
            return .serverFailed("cancelled")
        }
        return await died()
    }

    private func died() async -> Outcome {
        let t = await child.wait()
        let first = noise.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if ["bwrap: ", "setpriv: "].contains(where: { first.hasPrefix($0) }) {
            return .serverFailed(BubblewrapExecutor.sandboxFailurePrefix + first)
        }
        let last = noise.last.map { ": \($0)" } ?? ""
        return .serverFailed("the execution server died (\(t))\(last)")
    }

    private func write(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(input, raw.baseAddress! + off, raw.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }

    func finish() async {
        if input >= 0 { close(input); input = -1 }
        let child = self.child
        await withTaskGroup(of: Void.self) { g in
            g.addTask {
                try? await Task.sleep(for: .seconds(2))
                if !Task.isCancelled { child.signalGroup(SIGKILL) }
            }
            _ = await child.wait()
            g.cancelAll()
        }
        BubblewrapExecutor.remove(scratch)
    }

    func kill() async {
        if input >= 0 { close(input); input = -1 }
        await child.stop(grace: 0)
        BubblewrapExecutor.remove(scratch)
    }
}


actor ServerTable {
    private var servers: [ForkServer?]
    init(width: Int) { servers = Array(repeating: nil, count: width) }
    func get(_ slot: Int) -> ForkServer? { servers[slot] }
    func set(_ slot: Int, _ s: ForkServer?) { servers[slot] = s }
    func takeAll() -> [ForkServer] {
        defer { servers = Array(repeating: nil, count: servers.count) }
        return servers.compactMap { $0 }
    }
}
