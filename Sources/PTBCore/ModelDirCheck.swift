import Foundation

/// Quick sanity check of a submitted model directory, so a corrupt submission ends as a recorded
/// state ("invalid final_model: …") instead of nine doomed engine starts.
public enum ModelDirCheck {
    public static func problems(_ dir: URL) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
        if names.isEmpty { return ["the directory is empty or unreadable"] }
        let config = dir.appendingPathComponent("config.json")
        if let data = try? Data(contentsOf: config) {
            if let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                if obj["model_type"] == nil && obj["architectures"] == nil { out.append("config.json has neither model_type nor architectures") }
            } else {
                out.append("config.json is not valid JSON")
            }
        } else {
            out.append("config.json is missing")
        }
        let weights = names.filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".bin") || $0.hasSuffix(".safetensors.index.json") }
        if weights.isEmpty { out.append("no weight files (*.safetensors or *.bin)") }
        for w in weights where w.hasSuffix(".safetensors") {
            if let problem = safetensorsHeaderProblem(dir.appendingPathComponent(w)) { out.append("\(w): \(problem)") }
        }
        if !names.contains("tokenizer.json") && !names.contains("tokenizer_config.json") && !names.contains("tokenizer.model") {
            out.append("no tokenizer files")
        }
        return out
    }

    /// The first 8 bytes give the header length; the header must be JSON and fit in the file.
    static func safetensorsHeaderProblem(_ url: URL) -> String? {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return "unreadable" }
        defer { try? h.close() }
        guard let lenData = try? h.read(upToCount: 8), lenData.count == 8 else { return "truncated (no header length)" }
        let len = lenData.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
        guard len > 1, len < 100_000_000, 8 + len <= size else { return "header length \(len) does not fit the file (\(size) bytes)" }
        guard let header = try? h.read(upToCount: Int(len)), (try? JSONSerialization.jsonObject(with: header)) != nil else {
            return "header is not valid JSON"
        }
        return nil
    }
}
