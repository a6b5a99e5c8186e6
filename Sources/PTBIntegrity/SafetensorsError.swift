/// Why a safetensors file or checkpoint directory was refused. Submissions come from an agent
/// that may try to mislead the checks, so every refusal names the exact defect and what to do.
public enum SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    // The file itself.
    case unreadable(path: String, reason: String)
    case tooSmall(size: Int)
    case headerLengthOutOfBounds(length: UInt64, fileSize: Int, limit: Int)
    case headerNotJSON(reason: String)
    case headerNotObject
    case duplicateKey(String)
    case invalidMetadata(reason: String)
    case invalidTensorEntry(tensor: String, reason: String)
    case unknownDType(tensor: String, dtype: String)
    case shapeOverflow(tensor: String)
    case reversedOffsets(tensor: String, begin: Int, end: Int)
    case offsetsOutOfBounds(tensor: String, end: Int, dataSize: Int)
    case sizeMismatch(tensor: String, expected: Int, actual: Int)
    case overlap(tensor: String, other: String)
    case gap(before: String, at: Int, next: Int)
    case trailingBytes(dataSize: Int, covered: Int)
    /// Wraps any of the above with the file it came from.
    indirect case inFile(path: String, SafetensorsError)

    // A checkpoint directory.
    case noWeights(directory: String)
    case invalidIndex(path: String, reason: String)
    case missingTensor(tensor: String, shard: String)
    case duplicateTensor(tensor: String, files: [String])

    /// The defect without the file wrapper, for matching in callers and tests.
    public var problem: SafetensorsError {
        if case let .inFile(_, inner) = self { return inner.problem }
        return self
    }

    static let resave = "Re-save the checkpoint with the safetensors library (e.g. `model.save_pretrained(dir, safe_serialization=True)`) and submit that."

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason). Check that the path exists and is a readable regular file."
        case let .tooSmall(size):
            return "the file has \(size) bytes, fewer than the 8-byte header length of a safetensors file; it is truncated or not safetensors. \(Self.resave)"
        case let .headerLengthOutOfBounds(length, fileSize, limit):
            return "the header length field says \(length) bytes, which does not fit a \(fileSize)-byte file (allowed: 2…\(limit) bytes and within the file); the file is truncated or not safetensors. \(Self.resave)"
        case let .headerNotJSON(reason):
            return "the header is not valid UTF-8 JSON (\(reason)). \(Self.resave)"
        case .headerNotObject:
            return "the header is JSON but not an object of tensor entries. \(Self.resave)"
        case let .duplicateKey(key):
            return "the header names '\(key)' twice; loaders disagree on which entry wins, so the file is refused. \(Self.resave)"
        case let .invalidMetadata(reason):
            return "__metadata__ \(reason); it must be an object of string values. \(Self.resave)"
        case let .invalidTensorEntry(tensor, reason):
            return "tensor '\(tensor)': \(reason); each entry needs exactly dtype (string), shape (array of non-negative integers) and data_offsets ([begin, end]). \(Self.resave)"
        case let .unknownDType(tensor, dtype):
            return "tensor '\(tensor)' has dtype '\(dtype)', which is not a safetensors dtype (\(DType.allCases.map(\.rawValue).joined(separator: ", "))). \(Self.resave)"
        case let .shapeOverflow(tensor):
            return "tensor '\(tensor)': the byte size implied by its shape overflows 64 bits; the header is corrupt or hostile. \(Self.resave)"
        case let .reversedOffsets(tensor, begin, end):
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] end before they begin. \(Self.resave)"
        case let .offsetsOutOfBounds(tensor, end, dataSize):
            return "tensor '\(tensor)': data ends at byte \(end) but the data section has only \(dataSize) bytes; the file is truncated. \(Self.resave)"
        case let .sizeMismatch(tensor, expected, actual):
            return "tensor '\(tensor)': data_offsets span \(actual) bytes but dtype × shape needs \(expected). \(Self.resave)"
        case let .overlap(tensor, other):
            return "tensors '\(tensor)' and '\(other)' share bytes; one tensor could silently alias another. \(Self.resave)"
        case let .gap(before, at, next):
            return "unused bytes \(at)..<\(next) of the data section before tensor '\(before)' (safetensors data must be contiguous). \(Self.resave)"
        case let .trailingBytes(dataSize, covered):
            return "the data section has \(dataSize) bytes but tensors cover only \(covered); bytes after the last tensor are not allowed. \(Self.resave)"
        case let .inFile(path, inner):
            return "\(path): \(inner.description)"
        case let .noWeights(directory):
            return "\(directory) has no *.safetensors weights. Convert other formats first (e.g. load with transformers and `save_pretrained(dir, safe_serialization=True)`)."
        case let .invalidIndex(path, reason):
            return "\(path): \(reason). Regenerate the index with `save_pretrained`, or remove it if the model is a single model.safetensors."
        case let .missingTensor(tensor, shard):
            return "the index maps '\(tensor)' to \(shard), which has no such tensor; the shards and the index do not belong together. Re-save the checkpoint."
        case let .duplicateTensor(tensor, files):
            return "tensor '\(tensor)' appears in \(files.joined(separator: " and ")); add a model.safetensors.index.json that says which one loads, or remove the extra file."
        }
    }
}
