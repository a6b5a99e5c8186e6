import Foundation
import PTBCore
import PTBSandbox
import PTBTestSupport
import Testing

/// README's run option table is the definition's, so neither can drift (`PTB_UPDATE_GOLDEN=1`
/// rewrites the README's table from the definition).
@Suite struct RunOptionsReadmeTests {
    @Test func theReadmeTableIsTheDefinitions() throws {
        let url = Integration.repoRoot.appendingPathComponent("README.md")
        let readme = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- run-options:begin -->\n", end = "\n<!-- run-options:end -->"
        let start = try #require(readme.range(of: begin), "README lacks \(begin)")
        let stop = try #require(readme.range(of: end, range: start.upperBound..<readme.endIndex))
        let table = RunOptions.markdownTable(sandboxes: Sandboxes.names)
        if ProcessInfo.processInfo.environment["PTB_UPDATE_GOLDEN"] == "1" {
            try readme.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: table).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(readme[start.upperBound..<stop.lowerBound]) == table, "README's run option table differs (PTB_UPDATE_GOLDEN=1 rewrites it):\n\(table)")
        #expect(table.components(separatedBy: "\n").count == RunOptions.Key.allCases.count + 2)
    }
}
