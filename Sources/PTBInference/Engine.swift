import Foundation
import PTBCore
import PTBProcess
#if canImport(Glibc)
import Glibc
#endif

public struct EngineConfig: Sendable {
    public var modelDir: URL
    public var servedName: String
    public var chatTemplate: URL?
    /// A tokenizer directory other than the model's (the final evaluation serves the base
    /// model's tokenizer when the submitted one was modified).
    public var tokenizer: URL?
    public var maxModelLen: Int?
    public var gpuMemoryUtilization: Double
    public var gpus: Int
    /// The host GPUs the engine sees (`CUDA_VISIBLE_DEVICES`); nil keeps ptb's own.
    public var visibleDevices: String?
    /// Shards the model over this many GPUs where the engine can (vLLM); 1 is the original's.
    public var tensorParallel: Int
    public var toolCalling: Bool
    public var apiKey: String
    public var logFile: URL
    public var startupTimeoutSeconds: Double

    public init(modelDir: URL, servedName: String = "final_model", chatTemplate: URL? = nil, maxModelLen: Int? = nil,
                gpuMemoryUtilization: Double = 0.8, gpus: Int = 0, toolCalling: Bool = false, apiKey: String = "inspectai",
                logFile: URL, startupTimeoutSeconds: Double = 900, tokenizer: URL? = nil,
                visibleDevices: String? = nil, tensorParallel: Int = 1) {
        self.visibleDevices = visibleDevices
        self.tensorParallel = tensorParallel
        self.tokenizer = tokenizer
        self.modelDir = modelDir
        self.servedName = servedName
        self.chatTemplate = chatTemplate
        self.maxModelLen = maxModelLen
        self.gpuMemoryUtilization = gpuMemoryUtilization
        self.gpus = gpus
        self.toolCalling = toolCalling
        self.apiKey = apiKey
        self.logFile = logFile
        self.startupTimeoutSeconds = startupTimeoutSeconds
    }
}

/// What every engine's Python process starts from: an interpreter that exists, the hub offline
/// (the model is a local directory), no user site-packages, and only the named host variables.
enum EnginePython {
    static func check(_ python: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw PTBError.missingSetup("the Python environment \(python.path) does not exist.")
        }
    }

    static func environment(_ own: [String: String], passing keys: [String]) -> [String: String] {
        let host = ProcessInfo.processInfo.environment
        var env: [String: String] = [
            "PATH": host["PATH"] ?? "/usr/bin:/bin", "HOME": host["HOME"] ?? "/tmp",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONNOUSERSITE": "1",
        ]
        env.merge(own) { _, new in new }
        for k in keys { if let v = host[k] { env[k] = v } }
        return env
    }
}

/// A served model: an OpenAI-compatible endpoint plus the process behind it.
public struct RunningEngine: Sendable {
    public let baseURL: String
    public let apiKey: String
    public let servedName: String
    public let child: ChildProcess

    public var client: ChatClient { ChatClient(baseURL: baseURL, apiKey: apiKey, model: servedName) }

    /// Stops the engine's whole process group (API server and engine workers).
    public func stop() async { await child.stop(grace: 15) }
}

/// An inference engine that serves a model directory over the OpenAI API. One file per engine.
public protocol InferenceEngine: Sendable {
    var name: String { get }
    func command(_ config: EngineConfig, port: Int) throws -> Command
}

/// The engines ptb can serve models with, chosen by name (`PTB_ENGINE`; default `vllm`).
/// Adding an engine is its file plus one line in `all`.
public enum EngineRegistry {
    static let all: [(name: String, make: @Sendable (_ python: URL) -> any InferenceEngine)] = [
        ("vllm", { VLLMEngine(python: $0) }),
        ("transformers", { TransformersEngine(python: $0) }),
    ]

    public static var names: [String] { all.map(\.name) }

    public static func engine(named name: String?, python: URL) throws -> any InferenceEngine {
        let wanted = name.flatMap { $0.isEmpty ? nil : $0 } ?? "vllm"
        guard let entry = all.first(where: { $0.name == wanted }) else {
            throw PTBError.unknownChoice(kind: "inference engine", value: wanted, valid: names,
                                         hint: "Set PTB_ENGINE to one of them (unset = vllm, the original's engine; transformers serves where vLLM is not installed).")
        }
        return entry.make(python)
    }
}

public enum EngineError: Error, CustomStringConvertible {
    case exitedEarly(Termination, logTail: String, log: String, rootCause: String? = nil)
    case notHealthy(seconds: Double, log: String)
    /// The engine cannot serve this configuration at all; the text says what to change.
    case unsupported(String)
    public var description: String {
        switch self {
        case let .unsupported(why): why
        case let .exitedEarly(t, tail, log, cause?):
            "the engine exited during startup (\(t)): \(cause)\nsee \(log). Last lines:\n\(tail)"
        case let .exitedEarly(t, tail, log, nil): "the engine exited during startup (\(t)); see \(log). Last lines:\n\(tail)"
        case let .notHealthy(s, log): "the engine did not become healthy within \(Int(s)) s; see \(log)"
        }
    }
}

/// The line of an engine log that says why it died. vLLM runs its model loader in a child
/// process: the loader's exception (a truncated safetensors file, an unknown architecture) is
/// printed first, and the parent then fails with wrappers ("Engine core initialization failed.
/// See root cause above") whose traceback fills the last 100 lines. The first exception line
/// that is not such a wrapper is the one a user can act on.
public enum EngineLogDiagnosis {
    static let wrappers = ["see root cause above", "for root cause", "engine core initialization failed", "engine process failed to start",
                           "child process", "keyboardinterrupt", "systemexit"]

    public static func rootCause(_ log: String) -> String? {
        var first: String?
        for raw in log.split(whereSeparator: { $0.isNewline }) {
            let line = stripPrefixes(String(raw))
            guard isExceptionLine(line) else { continue }
            let lower = line.lowercased()
            if wrappers.contains(where: { lower.contains($0) }) { first = first ?? line; continue }
            return String(line.prefix(500))
        }
        return first.map { String($0.prefix(500)) }
    }

    /// vLLM prefixes child-process lines with "(EngineCore_DP0 pid=123) " and log lines with
    /// "ERROR 12-07 09:00:00 [file.py:12] ".
    static func stripPrefixes(_ line: String) -> String {
        var s = Substring(line)
        if s.hasPrefix("("), let close = s.firstIndex(of: ")"), s[s.startIndex..<close].contains("pid=") {
            s = s[s.index(after: close)...].drop(while: { $0 == " " })
        }
        if s.hasPrefix("ERROR "), let close = s.firstIndex(of: "]") {
            s = s[s.index(after: close)...].drop(while: { $0 == " " })
        }
        return String(s)
    }

    /// `module.SomeError: message` or a bare `SomeError` at the start of a line, as Python's
    /// traceback prints the exception last.
    static func isExceptionLine(_ line: String) -> Bool {
        let head = line.prefix { $0 != ":" && $0 != " " }
        guard !head.isEmpty, head.count < 120, let last = head.split(separator: ".").last else { return false }
        guard head.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }),
              last.hasSuffix("Error") || last.hasSuffix("Exception") || last == "SafetensorError" else { return false }
        let rest = line.dropFirst(head.count)
        return rest.isEmpty || rest.hasPrefix(": ")
    }

    /// The last non-empty line, for a live status while the engine loads.
    public static func lastLine(_ url: URL, maxBytes: Int = 8192) -> String? {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? h.close() }
        let size = (try? h.seekToEnd()) ?? 0
        try? h.seek(toOffset: size > UInt64(maxBytes) ? size - UInt64(maxBytes) : 0)
        guard let data = try? h.readToEnd() else { return nil }
        // Split on every newline kind: vLLM's CPU worker prints "\r\n", one Character in Swift.
        return String(decoding: data, as: UTF8.self).split(whereSeparator: { $0.isNewline })
            .last { !$0.allSatisfy(\.isWhitespace) }
            .map { String($0.filter { !$0.isASCII || $0.asciiValue! >= 32 }.prefix(160)) }
    }
}

public enum EngineLauncher {
    /// Starts the engine on a free loopback port and waits for `/health`. On failure nothing is
    /// left running.
    /// `status` is called about every `statusEvery` seconds while the engine loads, with the time
    /// waited and the last line of its log, so a user sees start-up progress instead of silence.
    public static func start(_ engine: any InferenceEngine, config: EngineConfig, runner: ProcessRunner,
                             statusEvery: Double = 5,
                             status: @Sendable (Double, String?) -> Void = { _, _ in }) async throws -> RunningEngine {
        let port = try freePort()
        let cmd = try engine.command(config, port: port)
        try? FileManager.default.createDirectory(at: config.logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data("$ \(cmd.display)\n".utf8).append(to: config.logFile)
        let child = try await runner.start(cmd, output: .file(config.logFile))
        let base = "http://127.0.0.1:\(port)"
        let start = Date()
        var lastStatus = 0.0
        do {
            while true {
                try Task.checkCancellation()
                if let status = await ChatClient.probe(base + "/health"), status == 200 { break }
                if kill(child.pid, 0) != 0 || ProcessInspector.isZombie(child.pid) {
                    let t = await child.wait()
                    let log = (try? String(contentsOf: config.logFile, encoding: .utf8)) ?? ""
                    throw EngineError.exitedEarly(t, logTail: tail(config.logFile, lines: 8), log: config.logFile.path,
                                                  rootCause: EngineLogDiagnosis.rootCause(log))
                }
                let waited = Date().timeIntervalSince(start)
                if waited > config.startupTimeoutSeconds {
                    throw EngineError.notHealthy(seconds: waited, log: config.logFile.path)
                }
                if waited - lastStatus >= statusEvery {
                    lastStatus = waited
                    status(waited, EngineLogDiagnosis.lastLine(config.logFile))
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        } catch {
            await child.stop(grace: 5)
            throw error
        }
        return RunningEngine(baseURL: base, apiKey: config.apiKey, servedName: config.servedName, child: child)
    }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PTBError.engine("cannot open a socket to find a free port") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp in
                bind(fd, sp, len) == 0 && getsockname(fd, sp, &len) == 0
            }
        }
        guard ok else { throw PTBError.engine("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    public static func tail(_ url: URL, lines: Int) -> String {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

extension Data {
    func append(to url: URL) throws {
        if let h = FileHandle(forWritingAtPath: url.path) {
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: self)
        } else {
            try write(to: url)
        }
    }
}
