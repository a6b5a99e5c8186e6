import Foundation
import PTBCore
import PTBSandbox

/// Replaces secret values in lines of agent output with `[REDACTED:NAME]` before they reach disk.
/// Secrets are the values of variables whose names look secret-bearing (`*_API_KEY`, `*_TOKEN`,
/// `*_SECRET`, and what a scaffold declares, as `CLAUDE_CODE_OAUTH_TOKEN`) and the contents of credential files (a whole file, and
/// each string inside it when it is JSON, as Codex's `auth.json`).
public struct Redactor: Sendable {
    /// (name, value), longest value first, so a secret containing another is replaced whole.
    public let secrets: [(name: String, value: String)]

    /// Shorter values are not treated as secrets: a `FOO_TOKEN=1` would otherwise blank every "1".
    public static let minimumLength = 8

    /// One rule for the trace and the container runtimes (which keep these values out of argv).
    public static func isSecretName(_ name: String) -> Bool {
        SandboxSupport.isSecretName(name) || AgentRegistry.scaffolds.secretVariables.contains(name)
    }

    public init(secrets: [(name: String, value: String)]) {
        var seen = Set<String>()
        var list: [(name: String, value: String)] = []
        for s in secrets where s.value.count >= Self.minimumLength && seen.insert(s.value).inserted {
            list.append(s)
            // A secret printed inside a JSON string has its special characters escaped.
            if let escaped = Self.jsonEscaped(s.value), escaped != s.value, seen.insert(escaped).inserted { list.append((s.name, escaped)) }
        }
        self.secrets = list.sorted { $0.value.count > $1.value.count }
    }

    /// Secrets of `environment` (by name, or declared in `secretNames`) and of the given credential files.
    public init(environment: [String: String], files: [URL] = [], secretNames: Set<String> = []) {
        var s = environment.filter { Self.isSecretName($0.key) || secretNames.contains($0.key) }.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        for f in files {
            guard let text = try? String(contentsOf: f, encoding: .utf8) else { continue }
            let name = f.lastPathComponent
            s.append((name, text.trimmingCharacters(in: .whitespacesAndNewlines)))
            if let v = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                for leaf in Self.strings(v) { s.append((name, leaf)) }
            }
        }
        self.init(secrets: s)
    }

    public func redact(_ line: String) -> String {
        guard !secrets.isEmpty else { return line }
        var out = line
        for s in secrets where out.contains(s.value) {
            out = out.replacingOccurrences(of: s.value, with: "[REDACTED:\(s.name)]")
        }
        return out
    }

    public func redact<S: Sequence>(lines: S) -> [String] where S.Element == String { lines.map(redact) }

    static func strings(_ v: JSONValue) -> [String] {
        switch v {
        case .string(let s): [s]
        case .array(let a): a.flatMap(strings)
        case .object(let o): o.values.flatMap(strings)
        default: []
        }
    }

    static func jsonEscaped(_ s: String) -> String? {
        guard let d = try? JSONEncoder().encode(s), var t = String(data: d, encoding: .utf8) else { return nil }
        t.removeFirst()
        t.removeLast()
        return t
    }
}

extension AgentAdapter {
    /// The redactor for this agent's trace: every secret-bearing variable of the command it runs,
    /// plus the subscription credential files of the CLI scaffolds.
    public func redactor(environment: [String: String], home: PTBHome, secretNames: Set<String> = []) -> Redactor {
        let files = (self as? any CLIScaffoldAdapter)?.secretFiles(home: home) ?? []
        return Redactor(environment: environment, files: files, secretNames: secretNames)
    }
}
