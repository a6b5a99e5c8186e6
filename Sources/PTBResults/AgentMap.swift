import Foundation

/// Which methods (full sweeps) make up one leaderboard agent: the original's `HARDCODED_AGENT_MAP`,
/// as a file. Two formats, both without dependencies:
///
/// ```
/// # comment
/// Opus-4.6 = claude_claude-opus-4-6_10h_run1, claude_claude-opus-4-6_10h_run2
/// ```
/// or a JSON object `{"Opus-4.6": ["claude_…_run1", "claude_…_run2"]}`.
public struct AgentMap: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var methods: [String]
        public init(name: String, methods: [String]) {
            self.name = name
            self.methods = methods
        }
    }

    public var agents: [Entry]

    public init(_ agents: [Entry] = []) { self.agents = agents }

    public static let empty = AgentMap()

    public static func load(_ url: URL) throws -> AgentMap {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ResultsError.io("cannot read agent map \(url.path): \(error.localizedDescription)")
        }
        return try parse(text, path: url.path)
    }

    public static func parse(_ text: String, path: String) throws -> AgentMap {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") { return try parseJSON(text, path: path) }
        var pairs: [(String, [String])] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ResultsError.agentMap(path: path, line: i + 1, reason: "no '='")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            let methods = line[line.index(after: eq)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !name.isEmpty, !methods.isEmpty else {
                throw ResultsError.agentMap(path: path, line: i + 1, reason: name.isEmpty ? "empty agent name" : "no methods for '\(name)'")
            }
            pairs.append((name, methods))
        }
        return try validated(pairs, path: path)
    }

    private static func parseJSON(_ text: String, path: String) throws -> AgentMap {
        // JSON objects are unordered; keep the file's order anyway by sorting on the key's position.
        let object: [String: [String]]
        do { object = try JSONDecoder().decode([String: [String]].self, from: Data(text.utf8)) } catch {
            throw ResultsError.agentMap(path: path, line: 1, reason: "not a JSON object of string lists (\(OriginalRunFiles.shortError(error)))")
        }
        let ordered = object.keys.sorted { (text.range(of: "\"\($0)\"")?.lowerBound ?? text.endIndex) < (text.range(of: "\"\($1)\"")?.lowerBound ?? text.endIndex) }
        return try validated(ordered.map { ($0, object[$0]!) }, path: path)
    }

    private static func validated(_ pairs: [(String, [String])], path: String) throws -> AgentMap {
        var names = Set<String>(), owner: [String: String] = [:]
        for (name, methods) in pairs {
            guard names.insert(name).inserted else { throw ResultsError.agentMap(path: path, line: nil, reason: "agent '\(name)' is defined twice") }
            for m in methods {
                if let other = owner[m] {
                    throw ResultsError.agentMap(path: path, line: nil, reason: "method '\(m)' belongs to both '\(other)' and '\(name)'")
                }
                owner[m] = name
            }
        }
        return AgentMap(pairs.map { Entry(name: $0.0, methods: $0.1) })
    }
}
