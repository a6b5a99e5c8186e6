import Foundation
import Testing

/// Compares `actual` with `Golden/<name>` beside the calling test file; `PTB_UPDATE_GOLDEN=1`
/// rewrites the file instead (review the diff before committing it).
public func expectGolden(_ actual: String, _ name: String, file: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["PTB_UPDATE_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "differs from golden file \(name) (PTB_UPDATE_GOLDEN=1 rewrites it)", sourceLocation: sourceLocation)
}
