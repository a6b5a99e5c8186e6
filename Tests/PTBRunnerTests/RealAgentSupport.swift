import Foundation
import PTBAgents
import PTBCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// scripts/scripted-model-server.py on a free loopback port: plays a script of turns to the real
/// Claude Code / Codex binaries and logs every request they send.
final class ScriptedModelServer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/scripted-model-server.py")

    let process = Process()
    let log: URL
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `turns`: each `["shell": "…"]` or `["text": "…"]` with an optional `"usage"`; `fail` as the
    /// script's `fail` key (see the script's docstring). `host`: the address to listen on.
    init(dir: URL, turns: [[String: Any]], fail: [String: Any]? = nil, host: String = "127.0.0.1") throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var script: [String: Any] = ["turns": turns]
        if let fail { script["fail"] = fail }
        let scriptFile = dir.appendingPathComponent("script.json")
        try JSONSerialization.data(withJSONObject: script, options: [.prettyPrinted, .sortedKeys]).write(to: scriptFile)
        log = dir.appendingPathComponent("requests.jsonl")
        let portFile = dir.appendingPathComponent("port")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, "--script", scriptFile.path, "--log", log.path, "--port-file", portFile.path, "--host", host]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: {
            let u = dir.appendingPathComponent("server.err")
            FileManager.default.createFile(atPath: u.path, contents: nil)
            return u
        }())
        try process.run()
        var port: Int?
        for _ in 0..<150 where port == nil {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { usleep(100_000) }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            throw PTBError.io("the scripted model server did not start; see \(dir.path)/server.err")
        }
        self.port = port
    }

    /// Test processes block SIGTERM for their children: stop it with SIGKILL.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    struct Request {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [String: Any]
    }

    func requests() throws -> [Request] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return Request(method: o["method"] as? String ?? "", path: o["path"] as? String ?? "",
                           headers: o["headers"] as? [String: String] ?? [:], body: o["body"] as? [String: Any] ?? [:])
        }
    }
}

/// The agent binaries `ptb setup --agents claude-code,codex` installed: in PTB_TEST_AGENTS_HOME,
/// else in PTB_TEST_HOME (scripts/test.sh installs them there).
enum RealAgentHome {
    static var root: URL? {
        let env = ProcessInfo.processInfo.environment
        for key in ["PTB_TEST_AGENTS_HOME", "PTB_TEST_HOME"] {
            guard let p = env[key], !p.isEmpty else { continue }
            let home = PTBHome(root: URL(fileURLWithPath: p))
            if AgentBinaries.pins.allSatisfy({ AgentBinaries.installed(home: home, scaffold: $0.scaffold) != nil }) { return home.root }
        }
        return nil
    }

    /// Links the installed CLIs into a test home (read-only use: nothing writes there).
    static func link(into home: PTBHome) throws {
        guard let root else { return }
        try FileManager.default.createDirectory(at: home.agents, withIntermediateDirectories: true)
        for pin in AgentBinaries.pins {
            try FileManager.default.createSymbolicLink(at: home.agents.appendingPathComponent(pin.installName),
                                                       withDestinationURL: PTBHome(root: root).agents.appendingPathComponent(pin.installName))
        }
    }
}

/// A ChatGPT login as Codex stores it (`auth.json`), with unsigned JWTs: accepted without a
/// refresh while `last_refresh` is current.
func fakeChatGPTLogin(account: String) throws -> (json: Data, accessToken: String) {
    func b64(_ o: [String: Any]) throws -> String {
        try JSONSerialization.data(withJSONObject: o, options: .sortedKeys).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let now = Int(Date().timeIntervalSince1970)
    let claims: [String: Any] = [
        "email": "bench@example.com", "exp": now + 30 * 86400, "iat": now, "sub": "user-ptb",
        "https://api.openai.com/auth": ["chatgpt_plan_type": "pro", "chatgpt_account_id": account, "chatgpt_user_id": "user-ptb"],
    ]
    let header = try b64(["alg": "none", "typ": "JWT"])
    let id = "\(header).\(try b64(claims)).c2ln"
    var accessClaims = claims
    accessClaims["jti"] = UUID().uuidString
    let access = "\(header).\(try b64(accessClaims)).c2ln"
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
    let auth: [String: Any] = [
        "OPENAI_API_KEY": NSNull(), "last_refresh": f.string(from: Date()),
        "tokens": ["id_token": id, "access_token": access, "refresh_token": "rt-ptb-\(UUID().uuidString)", "account_id": account],
    ]
    return (try JSONSerialization.data(withJSONObject: auth, options: .sortedKeys), access)
}
