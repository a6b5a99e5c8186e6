import Foundation

/// The shape-defining fields of a Hugging Face `config.json`. The rules forbid submitting a
/// different model; a changed depth, width, head layout or vocabulary is the cheapest tell.
public struct ModelArchitecture: Sendable, Equatable, Codable {
    public static let fields = [
        "model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "intermediate_size", "vocab_size",
    ]

    /// Field → canonical JSON text; absent fields are missing from the map.
    public var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// Reads `config.json` in `directory`; nil when there is none. Multimodal configs keep the
    /// language model's fields in `text_config`, which is consulted when the top level lacks one.
    public static func read(directory: URL) throws -> ModelArchitecture? {
        let url = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let root: JSONValue
        do { root = try StrictJSON.parse(Array(try Data(contentsOf: url))) } catch {
            throw IntegrityError.unreadableConfig(path: url.path, reason: "\(error)")
        }
        guard case .object = root else { throw IntegrityError.unreadableConfig(path: url.path, reason: "not a JSON object") }
        var values: [String: String] = [:]
        for f in fields {
            if let v = root[f] ?? root["text_config"]?[f] { values[f] = v.canonical }
        }
        return ModelArchitecture(values: values)
    }
}

/// One config field of base and candidate.
public struct FieldComparison: Sendable, Equatable, Codable {
    public var field: String
    public var base: String?
    public var candidate: String?
    public var same: Bool { base == candidate }

    public init(field: String, base: String?, candidate: String?) {
        self.field = field
        self.base = base
        self.candidate = candidate
    }

    enum CodingKeys: String, CodingKey { case field, base, candidate, same }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field)
        try c.encode(base, forKey: .base)
        try c.encode(candidate, forKey: .candidate)
        try c.encode(same, forKey: .same)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        field = try c.decode(String.self, forKey: .field)
        base = try c.decodeIfPresent(String.self, forKey: .base)
        candidate = try c.decodeIfPresent(String.self, forKey: .candidate)
    }
}

/// Config fields plus the tensor inventory: a model can keep config.json and still drop, add or
/// reshape weights.
public struct ArchitectureComparison: Sendable, Equatable, Codable {
    public var configFound: Bool
    public var fields: [FieldComparison]
    /// In the base, not in the candidate.
    public var missingTensors: [String]
    /// In the candidate, not in the base.
    public var extraTensors: [String]
    /// "name: [base shape] → [candidate shape]".
    public var reshapedTensors: [String]

    public var same: Bool {
        fields.allSatisfy(\.same) && missingTensors.isEmpty && extraTensors.isEmpty && reshapedTensors.isEmpty
    }

    public static func compare(base: ModelArchitecture?, candidate: ModelArchitecture?, baseWeights: Checkpoint, candidateWeights: Checkpoint) -> ArchitectureComparison {
        let fields = ModelArchitecture.fields.map {
            FieldComparison(field: $0, base: base?.values[$0], candidate: candidate?.values[$0])
        }
        let b = Set(baseWeights.tensors.keys), c = Set(candidateWeights.tensors.keys)
        var reshaped: [String] = []
        for name in b.intersection(c).sorted() {
            let bs = baseWeights.tensors[name]!.info.shape, cs = candidateWeights.tensors[name]!.info.shape
            if bs != cs { reshaped.append("\(name): \(bs) → \(cs)") }
        }
        return ArchitectureComparison(configFound: base != nil && candidate != nil, fields: fields,
                                      missingTensors: b.subtracting(c).sorted(), extraTensors: c.subtracting(b).sorted(),
                                      reshapedTensors: reshaped)
    }
}
