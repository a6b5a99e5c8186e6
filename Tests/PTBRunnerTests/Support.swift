import Foundation
import PTBCore
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A scratch PTB_HOME outside /tmp (the sandbox's /tmp is private). With `real: true` it links the
/// Python environment and the built `tiny` model from PTB_TEST_HOME (made by `ptb setup`).
struct TestHome {
    let root: URL
    var home: PTBHome { PTBHome(root: root.appendingPathComponent("home")) }
    var runs: URL { root.appendingPathComponent("runs") }

    static var realHome: URL? {
        guard let p = ProcessInfo.processInfo.environment["PTB_TEST_HOME"],
              FileManager.default.fileExists(atPath: "\(p)/models/tiny/config.json") else { return nil }
        return URL(fileURLWithPath: p)
    }

    /// A home with PTB_TEST_HOME's Python env and tiny model; without one the test is skipped
    /// (a failure under PTB_REQUIRE_INTEGRATION=1).
    static func requireReal() throws -> TestHome {
        guard realHome != nil else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        return try TestHome(real: true)
    }

    init(real: Bool = false) throws {
        root = URL(fileURLWithPath: "/var/tmp/ptb-test-\(UUID().uuidString.prefix(8))")
        let fm = FileManager.default
        try fm.createDirectory(at: home.models, withIntermediateDirectories: true)
        try fm.createDirectory(at: runs, withIntermediateDirectories: true)
        if real, let src = Self.realHome {
            try fm.createDirectory(at: home.envs, withIntermediateDirectories: true)
            try fm.createSymbolicLink(at: home.pythonEnv, withDestinationURL: src.appendingPathComponent("envs/py").resolvingSymlinksInPath())
            try fm.createSymbolicLink(at: home.models.appendingPathComponent("tiny"), withDestinationURL: src.appendingPathComponent("models/tiny"))
        } else {
            // Never served in the fast tests: only its presence is checked.
            let tiny = home.models.appendingPathComponent("tiny")
            try fm.createDirectory(at: tiny, withIntermediateDirectories: true)
            try #"{"model_type": "llama"}"#.write(to: tiny.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        }
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }

    /// An agent config for the `command` scaffold running `script` with bash.
    func agent(_ name: String, script: String) throws -> URL {
        let url = root.appendingPathComponent("\(name).yaml")
        let yaml = """
            name: \(name)
            scaffold: command
            command: ["bash", "-c", \(jsonString(script))]
            """
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func config(_ text: String) throws -> URL {
        let url = root.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func manifests() throws -> [RunManifest] {
        try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted().compactMap {
            try? JSONIO.read(RunManifest.self, from: runs.appendingPathComponent($0).appendingPathComponent("run.json"))
        }
    }

    /// The single run's paths, without recording an expectation (for polling).
    func onlyRunQuietly() throws -> RunPaths? {
        let names = try FileManager.default.contentsOfDirectory(atPath: runs.path)
        return names.count == 1 ? RunPaths(dir: runs.appendingPathComponent(names[0])) : nil
    }

    func onlyRun() throws -> (RunPaths, RunManifest) {
        let names = try FileManager.default.contentsOfDirectory(atPath: runs.path)
        #expect(names.count == 1)
        let p = RunPaths(dir: runs.appendingPathComponent(names[0]))
        return (p, try JSONIO.read(RunManifest.self, from: p.manifest))
    }
}

func jsonString(_ s: String) -> String {
    String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
}

struct PTBResult {
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String
}

/// Runs the real `ptb` binary.
@discardableResult
func ptb(_ args: [String], home: TestHome, env extra: [String: String] = [:], timeout: Double = 900) throws -> PTBResult {
    let p = try startPTB(args, home: home, env: extra)
    let deadline = Date().addingTimeInterval(timeout)
    while p.process.isRunning, Date() < deadline { usleep(50_000) }
    if p.process.isRunning { p.process.terminate(); p.process.waitUntilExit() }
    p.process.waitUntilExit()
    return PTBResult(status: p.process.terminationStatus, signaled: p.process.terminationReason == .uncaughtSignal,
                     stdout: String(decoding: try Data(contentsOf: p.out), as: UTF8.self),
                     stderr: String(decoding: try Data(contentsOf: p.err), as: UTF8.self))
}

struct StartedPTB {
    let process: Process
    let out: URL
    let err: URL
}

func startPTB(_ args: [String], home: TestHome, env extra: [String: String] = [:]) throws -> StartedPTB {
    let p = Process()
    p.executableURL = ptbBinary
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["PTB_HOME"] = home.home.root.path
    env.removeValue(forKey: "PTB_TEST_KILL_AFTER")
    for (k, v) in extra { env[k] = v }
    p.environment = env
    let out = home.root.appendingPathComponent("out-\(UUID().uuidString.prefix(6)).txt")
    let err = home.root.appendingPathComponent("err-\(UUID().uuidString.prefix(6)).txt")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: out)
    p.standardError = try FileHandle(forWritingTo: err)
    try p.run()
    return StartedPTB(process: p, out: out, err: err)
}

func countProcesses(containing marker: String) -> Int {
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
    return pids.filter { pid in
        guard pid != String(getpid()), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        // Zombies have an empty cmdline; a live process carries the marker in its arguments.
        return String(decoding: data, as: UTF8.self).contains(marker)
    }.count
}

func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}
