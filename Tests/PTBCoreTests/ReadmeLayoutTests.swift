import Foundation
import Testing

/// README's "Where things are" table lists exactly the targets of Package.swift, so the map
/// cannot go stale: adding or removing a module fails here until the table says so.
@Suite struct ReadmeLayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Names of `.target(name:)` and `.executableTarget(name:)` in Package.swift (test targets excluded).
    static func packageTargets() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let re = try NSRegularExpression(pattern: #"\.(?:target|executableTarget)\(\s*name:\s*"([^"]+)""#)
        let ns = text as NSString
        return Set(re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) })
    }

    /// The first-column names of the table under `## Where things are`.
    static func readmeModules() throws -> (modules: [String], sectionIndex: Int?) {
        let lines = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headings = lines.enumerated().filter { $0.element.hasPrefix("## ") }
        guard let start = lines.firstIndex(of: "## Where things are") else { return ([], nil) }
        let index = headings.firstIndex { $0.offset == start }
        let end = headings.first { $0.offset > start }?.offset ?? lines.count
        let modules = lines[start..<end].compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            let cell = line.dropFirst(3)
            return cell.firstIndex(of: "`").map { String(cell[..<$0]) }
        }
        return (modules, index)
    }

    @Test func theMapListsEveryTargetOfPackageSwift() throws {
        let targets = try Self.packageTargets()
        #expect(targets.count >= 19 && targets.contains("PTBCore") && targets.contains("ptb"), "parsed \(targets.sorted())")
        let (modules, _) = try Self.readmeModules()
        #expect(modules.count == Set(modules).count, "a module is listed twice: \(modules)")
        #expect(Set(modules) == targets,
                "README lacks \(targets.subtracting(modules).sorted()); README has extra \(Set(modules).subtracting(targets).sorted())")
    }

    @Test func theMapComesFirst() throws {
        let (_, index) = try Self.readmeModules()
        #expect(index == 0, "\"## Where things are\" must be the README's first section")
    }
}
