import Foundation
import PTBCore

/// A list of CLI scaffold types and every question ptb asks about scaffolds in general: which
/// names are valid, which type a definition or a trace belongs to, which binaries are pinned,
/// which variables are secret. ptb's own list is `AgentRegistry.scaffolds`; tests build others
/// (a test-only scaffold beside the shipped ones) and pass them where a registry is taken.
public struct ScaffoldRegistry: Sendable {
    /// In detection order: a trace is parsed by the first type whose `detects` accepts a line.
    public let types: [any CLIScaffoldAdapter.Type]
    /// Every type's name, sorted: what errors and help texts list.
    public let names: [String]
    /// The union of the types' `secretVariables`.
    public let secretVariables: Set<String>

    public init(_ types: [any CLIScaffoldAdapter.Type]) {
        self.types = types
        names = types.map { $0.scaffold.rawValue }.sorted()
        secretVariables = types.reduce(into: []) { $0.formUnion($1.secretVariables) }
    }

    public func type(named name: String) -> (any CLIScaffoldAdapter.Type)? {
        types.first { $0.scaffold.rawValue == name }
    }

    public func type(of scaffold: Scaffold) -> (any CLIScaffoldAdapter.Type)? { type(named: scaffold.rawValue) }

    /// The types that honour `option`, by name.
    public func having(_ option: ScaffoldOptions) -> [any CLIScaffoldAdapter.Type] {
        types.filter { $0.options.contains(option) }.sorted { $0.scaffold.rawValue < $1.scaffold.rawValue }
    }

    /// The scaffold whose stream this JSON line belongs to, from its shape.
    public func detect(_ object: [String: JSONValue]) -> (any CLIScaffoldAdapter.Type)? {
        types.first { $0.detects(object) }
    }

    /// The adapter of a definition's scaffold (the definition was checked when it was loaded).
    public func adapter(for config: AgentConfig, environment: [String: String]) -> any AgentAdapter {
        guard let type = type(named: config.scaffold) else { return CommandAgent(config: config) }
        return type.init(config: config, host: environment)
    }

    /// The pinned binaries, by scaffold name.
    public var pins: [AgentBinaryPin] {
        types.compactMap { $0.binaryPin }.sorted { $0.installName < $1.installName }
    }

    /// `a`, `a and b`, `a, b and c` (`or` for alternatives).
    public static func listed(_ items: [String], conjunction: String = "and") -> String {
        guard let last = items.last else { return "none" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
