import Foundation
import PTBCore
import PTBIntegrity

/// Everything ptb can tell about a model directory with its own readers, before an engine spends
/// a minute (or, for a large model on a GPU, several) starting on it only to die with a traceback.
/// ModelDirCheck (config, tokenizer files, safetensors header bounds) runs first; then the strict
/// safetensors reader the integrity checks use: every header, every tensor's offsets against the
/// file size (a truncated download or an interrupted save), the shard index, duplicate tensors.
/// Tokenizer JSON files must parse, since the engine's tokenizer loader fails on them late.
enum ModelReadiness {
    static func problems(_ dir: URL) -> [String] {
        var out = ModelDirCheck.problems(dir)
        let fm = FileManager.default
        for name in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            let url = dir.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { continue }
            if let data = try? Data(contentsOf: url), (try? JSONSerialization.jsonObject(with: data)) != nil { continue }
            out.append("\(name) is not valid JSON")
        }
        // Only when the quick check found the weights readable: its message is the clearer one.
        let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
        let hasSafetensors = names.contains { $0.hasSuffix(".safetensors") || $0 == Checkpoint.indexName }
        if hasSafetensors, !out.contains(where: { $0.contains(".safetensors") || $0.hasPrefix("no weight files") }) {
            do { _ = try Checkpoint(dir) } catch {
                out.append("the weights cannot be loaded: \(error)")
            }
        }
        return out
    }
}
