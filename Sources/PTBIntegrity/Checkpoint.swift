import Foundation

/// A model's weights: one safetensors file, or shards tied together by
/// `model.safetensors.index.json` (the Hugging Face layout). Tensors are found by name; their
/// bytes stay in the mapped files.
public final class Checkpoint: Sendable {
    public struct Entry: Sendable {
        public let file: Int
        public let info: TensorInfo
    }

    public let directory: URL
    public let files: [SafetensorsFile]
    public let tensors: [String: Entry]

    public static let indexName = "model.safetensors.index.json"
    public static let singleName = "model.safetensors"

    /// Opens `url`: a `.safetensors` file, or a directory holding either an index with its
    /// shards, `model.safetensors`, or other `*.safetensors` files whose tensor names are disjoint.
    public init(_ url: URL) throws(SafetensorsError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw .unreadable(path: url.path, reason: "no such file or directory")
        }
        if !isDir.boolValue {
            directory = url.deletingLastPathComponent()
            let f = try SafetensorsFile(path: url.path)
            files = [f]
            tensors = try Self.collect([f])
            return
        }
        directory = url
        let index = url.appendingPathComponent(Self.indexName)
        if fm.fileExists(atPath: index.path) {
            let (shardNames, weightMap) = try Self.readIndex(index)
            let opened = try shardNames.map { name throws(SafetensorsError) in
                try SafetensorsFile(path: url.appendingPathComponent(name).path)
            }
            files = opened
            let position = Dictionary(uniqueKeysWithValues: shardNames.enumerated().map { ($1, $0) })
            // Names are unique within a file (the header validator refuses duplicate keys).
            let byFile: [[String: TensorInfo]] = opened.map { f in
                Dictionary(f.header.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            }
            var out: [String: Entry] = [:]
            for (tensor, shard) in weightMap {
                let k = position[shard]!
                guard let info = byFile[k][tensor] else { throw .missingTensor(tensor: tensor, shard: shard) }
                out[tensor] = Entry(file: k, info: info)
            }
            tensors = out
            return
        }
        let names = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        let chosen = names.contains(Self.singleName) ? [Self.singleName] : names
        guard !chosen.isEmpty else { throw .noWeights(directory: url.path) }
        let opened = try chosen.map { name throws(SafetensorsError) in try SafetensorsFile(path: url.appendingPathComponent(name).path) }
        files = opened
        tensors = try Self.collect(opened)
    }

    private static func collect(_ files: [SafetensorsFile]) throws(SafetensorsError) -> [String: Entry] {
        var out: [String: Entry] = [:]
        for (k, f) in files.enumerated() {
            for t in f.header.tensors {
                if let prior = out[t.name] {
                    throw .duplicateTensor(tensor: t.name, files: [files[prior.file].path, f.path])
                }
                out[t.name] = Entry(file: k, info: t)
            }
        }
        return out
    }

    /// The shard file names (sorted) and tensor → shard map of an index file. Shard names must
    /// be plain file names: an index must not point the checker at files outside the checkpoint.
    static func readIndex(_ url: URL) throws(SafetensorsError) -> ([String], [String: String]) {
        let data: [UInt8]
        do { data = Array(try Data(contentsOf: url)) } catch { throw .unreadable(path: url.path, reason: "\(error.localizedDescription)") }
        let root: JSONValue
        do { root = try StrictJSON.parse(data) } catch { throw .invalidIndex(path: url.path, reason: "not valid JSON (\(error.description))") }
        guard case let .object(map)? = root["weight_map"] else {
            throw .invalidIndex(path: url.path, reason: "it has no \"weight_map\" object")
        }
        var weightMap: [String: String] = [:]
        for m in map {
            guard case let .string(shard) = m.value else {
                throw .invalidIndex(path: url.path, reason: "weight_map['\(m.key)'] is not a file name")
            }
            guard shard.hasSuffix(".safetensors"), !shard.contains("/"), !shard.contains("\\"), !shard.hasPrefix(".") else {
                throw .invalidIndex(path: url.path, reason: "weight_map['\(m.key)'] = '\(shard)' is not a plain *.safetensors file name in the same directory")
            }
            guard weightMap.updateValue(shard, forKey: m.key) == nil else {
                throw .invalidIndex(path: url.path, reason: "weight_map names '\(m.key)' twice")
            }
        }
        guard !weightMap.isEmpty else { throw .invalidIndex(path: url.path, reason: "weight_map is empty") }
        return (Array(Set(weightMap.values)).sorted(), weightMap)
    }

    public subscript(name: String) -> Entry? { tensors[name] }

    public func bytes(_ e: Entry) -> UnsafeRawBufferPointer { files[e.file].bytes(of: e.info) }

    public func release(_ e: Entry) { files[e.file].release(e.info) }

    public func view(_ e: Entry) -> TensorView { files[e.file].view(of: e.info) }

    /// Total bytes of tensor data.
    public var tensorBytes: Int { tensors.values.reduce(0) { $0 + $1.info.byteCount } }

    /// Tensor names in storage order (file, then offset), the order that streams sequentially.
    public var namesInStorageOrder: [String] {
        tensors.sorted { ($0.value.file, $0.value.info.begin, $0.key) < ($1.value.file, $1.value.info.begin, $1.key) }.map(\.key)
    }
}
