import Foundation
import PTBCore
import PTBProcess
import PTBSandbox
import Testing

/// Golden command lines of the container runtimes.
@Suite struct ContainerSandboxArgumentTests {
    let ws = URL(fileURLWithPath: "/runs/r1/workspace")
    var policy: SandboxPolicy {
        SandboxPolicy(writable: [ws], readOnlyInsideWritable: [ws.appendingPathComponent("task/evaluate.py"), ws.appendingPathComponent("task/templates")],
                      visible: [URL(fileURLWithPath: "/home/u/.ptb"), URL(fileURLWithPath: "/opt/ptb/bin")],
                      network: .none, gpus: true, workingDirectory: ws.appendingPathComponent("task"))
    }
    let env = ["HOME": "/runs/r1/workspace", "PATH": "/home/u/.ptb/envs/py/bin:/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": "2,3",
               "ANTHROPIC_API_KEY": "sk-ant-SECRET", "PROMPT": "Train it."]

    @Test func podmanGolden() {
        let sb = PodmanSandbox(image: "localhost/ptb-agent:1", clientEnvironment: ["PATH": "/usr/bin:/bin", "HOME": "/root"])
        let c = sb.wrap(Command("claude", ["--print", "Train it."], environment: env), policy: policy)
        let name = PodmanSandbox.containerName(policy: policy)
        #expect(name.hasPrefix("ptb-") && name.count == 20)
        #expect(c.display == """
            podman --log-level error --runtime runc run --rm --init --replace --name \(name) --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
            --network none -v /home/u/.ptb:/home/u/.ptb:ro -v /opt/ptb/bin:/opt/ptb/bin:ro -v /runs/r1/workspace:/runs/r1/workspace \
            -v /runs/r1/workspace/task/evaluate.py:/runs/r1/workspace/task/evaluate.py:ro \
            -v /runs/r1/workspace/task/templates:/runs/r1/workspace/task/templates:ro \
            --device nvidia.com/gpu=2 --device nvidia.com/gpu=3 \
            --env ANTHROPIC_API_KEY --env CUDA_VISIBLE_DEVICES=0,1 --env HOME=/runs/r1/workspace \
            --env PATH=/opt/ptb/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env 'PROMPT=Train it.' \
            --workdir /runs/r1/workspace/task localhost/ptb-agent:1 claude --print 'Train it.'
            """)
        // The secret's value travels in the client's environment only, never in argv.
        #expect(c.environment == ["PATH": "/usr/bin:/bin", "HOME": "/root", "ANTHROPIC_API_KEY": "sk-ant-SECRET"])
        #expect(!c.arguments.joined(separator: " ").contains("sk-ant-SECRET"))
        var open = policy
        open.network = .open
        open.gpus = false
        let args = sb.arguments(Command("true", environment: [:]), policy: open)
        #expect(args.contains("bridge") && !args.contains("--device"))
        var all = env
        all["CUDA_VISIBLE_DEVICES"] = nil
        #expect(sb.arguments(Command("true", environment: all), policy: policy).joined(separator: " ").contains("--device nvidia.com/gpu=all"))
        #expect(sb.cleanupCommand(policy: policy).display == "podman --runtime runc rm --force --ignore --time 0 \(name)")
    }

    @Test func apptainerGolden() {
        let sb = ApptainerSandbox(image: "/images/ptb.sif", clientEnvironment: ["PATH": "/usr/bin:/bin"])
        let c = sb.wrap(Command("claude", ["--print", "Train it."], environment: env), policy: policy)
        #expect(c.display == """
            apptainer exec --containall --writable-tmpfs --nv --net --network none --home /runs/r1/workspace \
            --bind /home/u/.ptb:/home/u/.ptb:ro --bind /opt/ptb/bin:/opt/ptb/bin:ro \
            --bind /runs/r1/workspace/task/evaluate.py:/runs/r1/workspace/task/evaluate.py:ro \
            --bind /runs/r1/workspace/task/templates:/runs/r1/workspace/task/templates:ro \
            --pwd /runs/r1/workspace/task --env CUDA_VISIBLE_DEVICES=2,3 \
            --env PATH=/opt/ptb/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            --env 'PROMPT=Train it.' /images/ptb.sif claude --print 'Train it.'
            """)
        #expect(c.environment == ["PATH": "/usr/bin:/bin", "APPTAINERENV_ANTHROPIC_API_KEY": "sk-ant-SECRET"])
        var open = policy
        open.network = .open
        open.gpus = false
        let args = sb.arguments(Command("true", environment: [:]), policy: open)
        #expect(!args.contains("--nv") && !args.contains("--network"))
        #expect(throws: PTBError.self) { try sb.check() }
    }

    /// PATH inside a container is the image's (the host's names the host Python env), unless the
    /// sandbox or the agent definition says otherwise; declared secrets stay out of argv.
    @Test func containerPathAndDeclaredSecrets() {
        var p = policy
        p.secretNames = ["MY_LOGIN"]
        let env = ["PATH": "/host/py/bin:/usr/bin", "MY_LOGIN": "hunter2-hunter2", "PLAIN": "x"]
        let podman = PodmanSandbox(image: "img", clientEnvironment: [:])
        let c = podman.wrap(Command("sh", environment: env), policy: p)
        #expect(c.arguments.contains("PATH=\(Sandboxes.imagePath)") && c.arguments.contains("MY_LOGIN") && c.arguments.contains("PLAIN=x"))
        #expect(!c.arguments.joined(separator: " ").contains("hunter2") && c.environment["MY_LOGIN"] == "hunter2-hunter2")
        let keep = PodmanSandbox(image: "img", clientEnvironment: [:], path: nil)
        #expect(keep.arguments(Command("sh", environment: env), policy: p).contains("PATH=/host/py/bin:/usr/bin"))
        let app = ApptainerSandbox(image: "x.sif", clientEnvironment: [:], path: "/usr/bin:/bin")
        let a = app.wrap(Command("sh", environment: env), policy: p)
        #expect(a.arguments.contains("PATH=/usr/bin:/bin") && !a.arguments.joined(separator: " ").contains("hunter2"))
        #expect(a.environment["APPTAINERENV_MY_LOGIN"] == "hunter2-hunter2")
        // Without the declaration the same variable is an ordinary one.
        #expect(podman.arguments(Command("sh", environment: env), policy: policy).contains("MY_LOGIN=hunter2-hunter2"))

        #expect(PodmanSandbox.make(SandboxSetup(environment: [:])).path == Sandboxes.imagePath)
        #expect(PodmanSandbox.make(SandboxSetup(environment: ["PTB_CONTAINER_PATH": "/a:/b"])).path == "/a:/b")
        #expect(ApptainerSandbox.make(SandboxSetup(environment: ["PTB_CONTAINER_PATH": "/a:/b"], containerPath: "/c")).path == "/c")
    }

    @Test func runtimesAreSelectable() throws {
        #expect(try Sandboxes.runtime(.podman, environment: ["PTB_PODMAN_IMAGE": "img:1"]).kind == .podman)
        #expect(try Sandboxes.runtime(.apptainer, environment: [:]).kind == .apptainer)
        #expect(PodmanSandbox.make(SandboxSetup(environment: ["PTB_PODMAN_IMAGE": "img:1"])).image == "img:1")
        #expect(ApptainerSandbox.make(SandboxSetup(environment: ["PTB_HOME": "/h"])).image == "/h/containers/ptb.sif")
        #expect(SandboxKind(rawValue: "podman") == .podman && SandboxKind(rawValue: "apptainer") == .apptainer)
    }
}

/// Real podman, when PTB_PODMAN_LIVE=1: a skeleton image (directories and links, 11 kB) whose /usr
/// is the host's, mounted read-only, so nothing is pulled.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["PTB_PODMAN_LIVE"] == "1"))
struct PodmanLiveTests {
    static let image = "localhost/ptb-test-skel:1"

    func ensureImage() async throws {
        let runner = ProcessRunner()
        if try await runner.run(Command("podman", ["image", "exists", Self.image], environment: PodmanSandbox.hostClientEnvironment())).0 == .exited(0) {
            return
        }
        let skel = URL(fileURLWithPath: "/var/tmp/ptb-skel-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: skel) }
        let script = """
            set -e; S=\(skel.path); mkdir -p $S/usr $S/etc $S/tmp $S/proc $S/dev $S/sys $S/root
            for d in bin lib lib64 sbin; do ln -s usr/$d $S/$d; done
            echo 'root:x:0:0:root:/root:/bin/sh' > $S/etc/passwd; echo 'root:x:0:' > $S/etc/group
            tar -C $S -c . | podman import - \(Self.image)
            """
        let (t, lines) = try await runner.run(Command("/bin/sh", ["-c", script], environment: PodmanSandbox.hostClientEnvironment()))
        #expect(t == .exited(0), "podman import failed: \(lines.suffix(5))")
    }

    func sandbox() -> PodmanSandbox { PodmanSandbox(image: Self.image, extraArguments: ["-v", "/usr:/usr:ro"]) }

    func scratch() throws -> URL {
        let d = URL(fileURLWithPath: "/var/tmp/ptb-podman-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d.appendingPathComponent("ws/task"), withIntermediateDirectories: true)
        try "original".write(to: d.appendingPathComponent("ws/task/evaluate.py"), atomically: true, encoding: .utf8)
        return d
    }

    func policy(_ d: URL, network: NetworkPolicy) -> SandboxPolicy {
        let ws = d.appendingPathComponent("ws")
        return SandboxPolicy(writable: [ws], readOnlyInsideWritable: [ws.appendingPathComponent("task/evaluate.py")], network: network, gpus: false,
                             workingDirectory: ws.appendingPathComponent("task"))
    }

    @Test func isolationEnvironmentAndNetwork() async throws {
        try await ensureImage()
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        let env = ["PATH": "/usr/bin:/bin", "HOME": d.appendingPathComponent("ws").path, "MY_API_KEY": "sekrit-value-123", "EMPTY_API_KEY": ""]
        let script = """
            { echo tampered > evaluate.py; } 2>/dev/null && echo EVAL_WRITABLE || echo EVAL_READONLY
            echo ok > result.txt && echo WS_WRITABLE
            { echo hi > /usr/ptb-test; } 2>/dev/null && echo USR_WRITABLE || echo USR_READONLY
            echo "IFACES $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')"
            echo "KEY=$MY_API_KEY EMPTY=${EMPTY_API_KEY-unset} HOME=$HOME PWD=$(pwd) SHELLVAR=${SHELL-unset}"
            """
        let cmd = sandbox().wrap(Command("/bin/sh", ["-c", script], environment: env), policy: policy(d, network: .none))
        let (t, lines) = try await ProcessRunner().run(cmd)
        #expect(t == .exited(0), "\(lines)")
        #expect(lines.contains("EVAL_READONLY") && lines.contains("WS_WRITABLE") && lines.contains("USR_READONLY"), "\(lines)")
        #expect(lines.contains("IFACES lo "), "network none: loopback only (\(lines))")
        #expect(lines.contains("KEY=sekrit-value-123 EMPTY= HOME=\(d.path)/ws PWD=\(d.path)/ws/task SHELLVAR=unset"))
        #expect(try String(contentsOf: d.appendingPathComponent("ws/task/evaluate.py"), encoding: .utf8) == "original")
        #expect(FileManager.default.fileExists(atPath: d.appendingPathComponent("ws/task/result.txt").path))

        let open = sandbox().wrap(Command("/bin/sh", ["-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '"],
                                          environment: env), policy: policy(d, network: .open))
        let (t2, l2) = try await ProcessRunner().run(open)
        #expect(t2 == .exited(0) && l2.first?.contains("eth0") == true, "bridge network has eth0: \(l2)")
    }

    /// SIGTERM to the podman client reaches the agent (through --init), and the cleanup command
    /// removes a container whose client was SIGKILLed.
    @Test func signalsAndCleanup() async throws {
        try await ensureImage()
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        let sb = sandbox()
        let p = policy(d, network: .none)
        let runner = ProcessRunner()
        let script = "trap 'echo GOT_TERM; exit 7' TERM; echo READY; while :; do sleep 0.2; done"
        let child = try await runner.start(sb.wrap(Command("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"]), policy: p))
        var it = child.lines.makeAsyncIterator()
        #expect(await it.next() == "READY")
        child.signalGroup(SIGTERM)
        let t = await child.wait()
        var rest: [String] = []
        while let l = await it.next() { rest.append(l) }
        #expect(rest.contains("GOT_TERM") && t == .exited(7), "\(t) \(rest)")

        let child2 = try await runner.start(sb.wrap(Command("/bin/sh", ["-c", "echo READY; sleep 600"], environment: ["PATH": "/usr/bin:/bin"]), policy: p))
        var it2 = child2.lines.makeAsyncIterator()
        #expect(await it2.next() == "READY")
        child2.signalGroup(SIGKILL)
        _ = await child2.wait()
        let name = PodmanSandbox.containerName(policy: p)
        let env = PodmanSandbox.hostClientEnvironment()
        let (_, alive) = try await runner.run(Command("podman", ["ps", "--filter", "name=\(name)", "--format", "{{.Names}}"], environment: env))
        #expect(alive == [name], "conmon keeps the container after the client is killed")
        let (tc, _) = try await runner.run(sb.cleanupCommand(policy: p))
        #expect(tc == .exited(0))
        let (_, after) = try await runner.run(Command("podman", ["ps", "-a", "--filter", "name=\(name)", "--format", "{{.Names}}"], environment: env))
        #expect(after.isEmpty)
    }
}
