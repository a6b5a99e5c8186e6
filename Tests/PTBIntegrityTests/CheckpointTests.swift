import Foundation
import PTBIntegrity
import PTBTestSupport
import Testing

@Suite struct CheckpointTests {
    func writeShards(_ dir: URL, index: String) throws {
        try SafetensorsWriter.write([.f32("a", [2], [1, 2]), .f32("b", [1], [3])], to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafetensorsWriter.write([.bf16("c", [2], [4, 5])], to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
    }

    @Test func readsShardedCheckpointsThroughTheIndex() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        try writeShards(tmp.url, index: """
            {"metadata": {"total_size": 16}, "weight_map": {"a": "model-00001-of-00002.safetensors",
             "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
            """)
        let ck = try Checkpoint(tmp.url)
        #expect(ck.files.count == 2)
        #expect(Set(ck.tensors.keys) == ["a", "b", "c"])
        #expect(ck["c"]?.info.dtype == .bf16)
        #expect(ck.files[ck["c"]!.file].path.hasSuffix("00002-of-00002.safetensors"))
        let c = ck.bytes(ck["c"]!)
        #expect(HalfConversion.bf16ToFloat(c.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) == 5)
        #expect(ck.namesInStorageOrder == ["a", "b", "c"])
        #expect(ck.tensorBytes == 16)
    }

    @Test func indexMustNameTensorsThatExistInPlainShardFiles() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        try writeShards(tmp.url, index: #"{"weight_map": {"a": "model-00002-of-00002.safetensors"}}"#)
        #expect(throws: SafetensorsError.missingTensor(tensor: "a", shard: "model-00002-of-00002.safetensors")) { try Checkpoint(tmp.url) }

        try Data(#"{"weight_map": {"a": "../../etc/model.safetensors"}}"#.utf8).write(to: tmp.url.appendingPathComponent("model.safetensors.index.json"))
        do { _ = try Checkpoint(tmp.url); Issue.record("followed a path outside the checkpoint") } catch {
            guard case .invalidIndex(_, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("plain"))
        }
        try Data(#"{"weight_map": {"a": 3}}"#.utf8).write(to: tmp.url.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: SafetensorsError.self) { try Checkpoint(tmp.url) }
        try Data(#"{"weights": {}}"#.utf8).write(to: tmp.url.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: SafetensorsError.invalidIndex(path: tmp.url.appendingPathComponent("model.safetensors.index.json").path,
                                                      reason: "it has no \"weight_map\" object")) { try Checkpoint(tmp.url) }
    }

    @Test func refusesAmbiguousOrMissingWeights() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        #expect(throws: SafetensorsError.noWeights(directory: tmp.url.path)) { try Checkpoint(tmp.url) }
        try SafetensorsWriter.write([.f32("a", [1], [1])], to: tmp.url.appendingPathComponent("x.safetensors"))
        try SafetensorsWriter.write([.f32("a", [1], [2])], to: tmp.url.appendingPathComponent("y.safetensors"))
        do { _ = try Checkpoint(tmp.url); Issue.record("accepted a tensor defined twice") } catch {
            guard case .duplicateTensor(let t, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(t == "a")
        }
        // model.safetensors wins over stray files, as in transformers.
        try SafetensorsWriter.write([.f32("a", [1], [3])], to: tmp.url.appendingPathComponent("model.safetensors"))
        #expect(try Checkpoint(tmp.url).files.count == 1)
    }
}
