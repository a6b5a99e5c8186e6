/// One tensor of a safetensors file: where its bytes are, relative to the data section.
public struct TensorInfo: Sendable, Equatable, Codable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var begin: Int
    public var end: Int

    public init(name: String, dtype: DType, shape: [Int], begin: Int, end: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.begin = begin
        self.end = end
    }

    public var byteCount: Int { end - begin }
    /// Never overflows: the validator checked shape × dtype against the offsets.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The validated header of a safetensors file.
///
/// Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data section.
/// Validation is strict, as strict as the reference Rust loader and a bit more, because the file
/// comes from the party being checked: a header that could make two readers see different
/// tensors, or make this reader touch bytes outside the file, is refused rather than repaired.
/// Every size computation is overflow-checked, so a hostile header throws instead of trapping.
public struct SafetensorsHeader: Sendable, Equatable {
    /// The reference loader's limit; real headers are kilobytes to a few megabytes.
    public static let maxHeaderLength = 100_000_000

    public var headerLength: Int
    /// File offset of the data section (8 + headerLength).
    public var dataOffset: Int
    public var dataSize: Int
    /// In data order (sorted by offset).
    public var tensors: [TensorInfo]
    public var metadata: [String: String]

    /// Validates the whole file image (header and data size; tensor bytes are not read).
    public static func parse(file: UnsafeRawBufferPointer) throws(SafetensorsError) -> SafetensorsHeader {
        guard file.count >= 8 else { throw .tooSmall(size: file.count) }
        let length = file.loadUnaligned(as: UInt64.self).littleEndian
        let available = UInt64(file.count - 8)
        guard length >= 2, length <= UInt64(maxHeaderLength), length <= available else {
            throw .headerLengthOutOfBounds(length: length, fileSize: file.count, limit: maxHeaderLength)
        }
        let n = Int(length)
        let json = UnsafeRawBufferPointer(rebasing: file[8..<(8 + n)])
        // The format requires the header to start with '{'; trailing spaces are its padding.
        guard json[0] == UInt8(ascii: "{") else { throw .headerNotObject }
        let root: JSONValue
        do { root = try StrictJSON.parse(json, maxDepth: 8) } catch { throw .headerNotJSON(reason: error.description) }
        guard case let .object(members) = root else { throw .headerNotObject }
        return try validate(members: members, headerLength: n, dataSize: file.count - 8 - n)
    }

    static func validate(members: [JSONMember], headerLength: Int, dataSize: Int) throws(SafetensorsError) -> SafetensorsHeader {
        var seen = Set<String>()
        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(members.count)
        for m in members {
            guard seen.insert(m.key).inserted else { throw .duplicateKey(m.key) }
            if m.key == "__metadata__" {
                metadata = try parseMetadata(m.value)
            } else {
                tensors.append(try parseTensor(name: m.key, m.value, dataSize: dataSize))
            }
        }
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        try checkLayout(tensors, dataSize: dataSize)
        return SafetensorsHeader(headerLength: headerLength, dataOffset: 8 + headerLength, dataSize: dataSize,
                                 tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ v: JSONValue) throws(SafetensorsError) -> [String: String] {
        guard case let .object(entries) = v else { throw .invalidMetadata(reason: "is not an object") }
        var out: [String: String] = [:]
        for e in entries {
            guard case let .string(s) = e.value else { throw .invalidMetadata(reason: "value of '\(e.key)' is not a string") }
            guard out.updateValue(s, forKey: e.key) == nil else { throw .invalidMetadata(reason: "names '\(e.key)' twice") }
        }
        return out
    }

    private static func parseTensor(name: String, _ v: JSONValue, dataSize: Int) throws(SafetensorsError) -> TensorInfo {
        guard case let .object(fields) = v else { throw .invalidTensorEntry(tensor: name, reason: "the entry is not an object") }
        var dtypeValue: JSONValue?
        var shapeValue: JSONValue?
        var offsetsValue: JSONValue?
        for f in fields {
            switch f.key {
            case "dtype" where dtypeValue == nil: dtypeValue = f.value
            case "shape" where shapeValue == nil: shapeValue = f.value
            case "data_offsets" where offsetsValue == nil: offsetsValue = f.value
            case "dtype", "shape", "data_offsets": throw .invalidTensorEntry(tensor: name, reason: "'\(f.key)' is given twice")
            default: throw .invalidTensorEntry(tensor: name, reason: "unexpected field '\(f.key)'")
            }
        }
        guard let dtypeValue else { throw .invalidTensorEntry(tensor: name, reason: "'dtype' is missing") }
        guard let shapeValue else { throw .invalidTensorEntry(tensor: name, reason: "'shape' is missing") }
        guard let offsetsValue else { throw .invalidTensorEntry(tensor: name, reason: "'data_offsets' is missing") }
        guard case let .string(dtypeName) = dtypeValue else { throw .invalidTensorEntry(tensor: name, reason: "'dtype' is not a string") }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }
        guard case let .array(dims) = shapeValue else { throw .invalidTensorEntry(tensor: name, reason: "'shape' is not an array") }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims { shape.append(try integer(d, tensor: name, field: "shape")) }
        guard case let .array(offsets) = offsetsValue, offsets.count == 2 else {
            throw .invalidTensorEntry(tensor: name, reason: "'data_offsets' is not an array of two integers")
        }
        let begin = try integer(offsets[0], tensor: name, field: "data_offsets")
        let end = try integer(offsets[1], tensor: name, field: "data_offsets")
        guard begin <= end else { throw .reversedOffsets(tensor: name, begin: begin, end: end) }
        guard end <= dataSize else { throw .offsetsOutOfBounds(tensor: name, end: end, dataSize: dataSize) }

        var elements = 1
        for d in shape {
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .shapeOverflow(tensor: name) }
            elements = p
        }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: dtype.bits)
        guard !overflow else { throw .shapeOverflow(tensor: name) }
        guard bits % 8 == 0 else {
            throw .invalidTensorEntry(tensor: name, reason: "\(elements) elements of \(dtype.rawValue) do not fill whole bytes")
        }
        guard end - begin == bits / 8 else { throw .sizeMismatch(tensor: name, expected: bits / 8, actual: end - begin) }
        return TensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    private static func integer(_ v: JSONValue, tensor: String, field: String) throws(SafetensorsError) -> Int {
        switch v.nonNegativeInteger {
        case .value(let x): return x
        case .negative: throw .invalidTensorEntry(tensor: tensor, reason: "'\(field)' has a negative number")
        case .fractional: throw .invalidTensorEntry(tensor: tensor, reason: "'\(field)' has a non-integer number")
        case .tooLarge: throw .invalidTensorEntry(tensor: tensor, reason: "'\(field)' has a number beyond 2^63")
        case .notANumber: throw .invalidTensorEntry(tensor: tensor, reason: "'\(field)' has a non-number element")
        }
    }

    /// Sorted tensors must tile the data section exactly: no shared bytes (aliasing), no holes
    /// (hidden payloads the loaders never see), nothing after the last tensor.
    private static func checkLayout(_ tensors: [TensorInfo], dataSize: Int) throws(SafetensorsError) {
        var cursor = 0
        var previous: String?
        for t in tensors {
            if t.begin < cursor { throw .overlap(tensor: t.name, other: previous ?? "") }
            if t.begin > cursor { throw .gap(before: t.name, at: cursor, next: t.begin) }
            if t.end > cursor || previous == nil { previous = t.name }
            cursor = t.end
        }
        guard cursor == dataSize else { throw .trailingBytes(dataSize: dataSize, covered: cursor) }
    }
}
