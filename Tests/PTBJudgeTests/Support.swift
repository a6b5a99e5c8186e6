import Foundation
import Testing

let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

func goldenLines(_ name: String) throws -> [[String: Any]] {
    try String(contentsOf: goldenDir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}
