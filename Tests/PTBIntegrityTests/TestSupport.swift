import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks

/// A tensor to write: name, dtype, shape and its raw little-endian bytes.
struct TensorSpec {
    var name: String
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]

    static func f32(_ name: String, _ shape: [Int], _ values: [Float]) -> TensorSpec {
        TensorSpec(name: name, dtype: .f32, shape: shape, bytes: values.flatMap { le($0.bitPattern) })
    }

    static func bf16(_ name: String, _ shape: [Int], _ values: [Float]) -> TensorSpec {
        // Round to nearest even, like torch's conversion.
        TensorSpec(name: name, dtype: .bf16, shape: shape, bytes: values.flatMap { v -> [UInt8] in
            let b = v.bitPattern
            let rounded = (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16
            return le(UInt16(truncatingIfNeeded: rounded))
        })
    }
}

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    withUnsafeBytes(of: v.littleEndian) { Array($0) }
}

/// Builds safetensors files the way the Python library does (tensors in name order, header
/// padded with spaces to a multiple of 8).
enum SafetensorsWriter {
    static func bytes(_ tensors: [TensorSpec], metadata: [String: String]? = nil) -> [UInt8] {
        var entries: [String] = []
        if let metadata {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\(quote($0.value))" }.joined(separator: ",")
            entries.append("\"__metadata__\":{\(m)}")
        }
        var offset = 0
        var data: [UInt8] = []
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            entries.append("\(quote(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
            data += t.bytes
        }
        return raw(header: "{" + entries.joined(separator: ",") + "}", data: data)
    }

    static func raw(header: String, data: [UInt8], pad: Bool = true) -> [UInt8] {
        var h = Array(header.utf8)
        while pad && h.count % 8 != 0 { h.append(0x20) }
        return le(UInt64(h.count)) + h + data
    }

    static func quote(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }

    static func write(_ tensors: [TensorSpec], to url: URL, metadata: [String: String]? = ["format": "pt"]) throws {
        try Data(bytes(tensors, metadata: metadata)).write(to: url)
    }
}

/// Deterministic normal-ish floats (sum of uniforms), so tests never depend on a global RNG.
struct Noise {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func normal(_ count: Int, std: Float) -> [Float] {
        (0..<count).map { _ in
            var s: Float = 0
            for _ in 0..<4 { s += Float(rng.next() >> 40) / Float(1 << 24) - 0.5 }
            return s * std * 1.732
        }
    }
}

/// A toy "Llama": embedding, two layers of attention/MLP weights and norms, with config.json and
/// tokenizer.json, written in `dtype`. Weights have std 0.5 so that, as in real LLMs, the
/// matrices and not the all-ones norm vectors carry most of the parameter norm.
struct ToyModel {
    var tensors: [String: (shape: [Int], values: [Float])]
    var config: [String: Any]
    var vocab: [String: Int]

    static func random(seed: UInt64, hidden: Int = 16, layers: Int = 2, vocab: Int = 32) -> ToyModel {
        var noise = Noise(seed: seed)
        var t: [String: (shape: [Int], values: [Float])] = [:]
        t["model.embed_tokens.weight"] = ([vocab, hidden], noise.normal(vocab * hidden, std: 0.5))
        for l in 0..<layers {
            for p in ["q_proj", "k_proj", "v_proj", "o_proj"] {
                t["model.layers.\(l).self_attn.\(p).weight"] = ([hidden, hidden], noise.normal(hidden * hidden, std: 0.5))
            }
            t["model.layers.\(l).mlp.up_proj.weight"] = ([2 * hidden, hidden], noise.normal(2 * hidden * hidden, std: 0.5))
            t["model.layers.\(l).mlp.down_proj.weight"] = ([hidden, 2 * hidden], noise.normal(2 * hidden * hidden, std: 0.5))
            t["model.layers.\(l).input_layernorm.weight"] = ([hidden], [Float](repeating: 1, count: hidden))
        }
        let config: [String: Any] = [
            "model_type": "llama", "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 4,
            "num_key_value_heads": 4, "intermediate_size": 2 * hidden, "vocab_size": vocab, "rms_norm_eps": 1e-6,
        ]
        let v = Dictionary(uniqueKeysWithValues: (0..<vocab).map { ("tok\($0)", $0) })
        return ToyModel(tensors: t, config: config, vocab: v)
    }

    /// Every weight moved by `scale` × its own std in a fresh random direction (a fine-tune);
    /// norms stay as they are.
    func finetuned(seed: UInt64, scale: Float) -> ToyModel {
        var noise = Noise(seed: seed)
        var out = self
        for (name, t) in tensors.sorted(by: { $0.key < $1.key }) where !name.contains("layernorm") {
            let delta = noise.normal(t.values.count, std: 0.5 * scale)
            out.tensors[name] = (t.shape, zip(t.values, delta).map { $0 + $1 })
        }
        return out
    }

    /// self + α(other − self), tensor by tensor.
    func interpolated(toward other: ToyModel, _ alpha: Float) -> ToyModel {
        var out = self
        for (name, t) in tensors {
            out.tensors[name] = (t.shape, zip(t.values, other.tensors[name]!.values).map { $0 + alpha * ($1 - $0) })
        }
        return out
    }

    func write(to dir: URL, dtype: DType = .f32) throws {
        let specs = tensors.map { name, t in
            dtype == .bf16 ? TensorSpec.bf16(name, t.shape, t.values) : TensorSpec.f32(name, t.shape, t.values)
        }
        try SafetensorsWriter.write(specs, to: dir.appendingPathComponent("model.safetensors"))
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: dir.appendingPathComponent("config.json"))
        let tok: [String: Any] = ["version": "1.0", "added_tokens": [], "model": ["type": "BPE", "vocab": vocab, "merges": []]]
        try JSONSerialization.data(withJSONObject: tok, options: [.sortedKeys]).write(to: dir.appendingPathComponent("tokenizer.json"))
    }
}
