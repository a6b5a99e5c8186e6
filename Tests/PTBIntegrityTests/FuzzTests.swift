import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks
import Testing

/// Property: the validator never crashes, whatever the bytes, and whatever it accepts is safe to
/// read (every tensor inside the data section, no overlaps, sizes consistent with dtype × shape).
///
/// Iterations: $PTB_FUZZ_ITERATIONS (default 20,000, a few seconds in a debug build). The full
/// million-case run is recorded in BENCHMARKS.md.
@Suite struct FuzzTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["PTB_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 20_000
    }

    @Test func validatorSurvivesRandomAndMutatedHeaders() {
        var fuzzer = HeaderFuzzer(seed: 0x5EED_F00D)
        var accepted = 0, rejected = 0, violations = 0
        var kinds = Set<String>()
        let started = Date()
        for _ in 0..<Self.iterations {
            let file = fuzzer.next()
            do {
                let h = try file.withUnsafeBytes { raw in try SafetensorsHeader.parse(file: raw) }
                accepted += 1
                if !Self.isSafe(h, fileSize: file.count) { violations += 1 }
            } catch let e as SafetensorsError {
                rejected += 1
                kinds.insert(Mirror(reflecting: e.problem).children.first?.label ?? "case-without-payload")
                if e.description.isEmpty { violations += 1 }
            } catch {
                violations += 1
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("fuzz: \(Self.iterations) cases in \(String(format: "%.2f", seconds)) s (\(accepted) accepted, \(rejected) rejected; \(kinds.count) kinds of rejection: \(kinds.sorted().joined(separator: " ")))")
        #expect(violations == 0)
        #expect(accepted + rejected == Self.iterations)
        // The generator must reach both sides of the validator.
        #expect(accepted > Self.iterations / 100 && rejected > Self.iterations / 2)
        if Self.iterations >= 10_000 { #expect(kinds.count >= 15, "rejections reached: \(kinds.sorted())") }
    }

    static func isSafe(_ h: SafetensorsHeader, fileSize: Int) -> Bool {
        guard h.dataOffset == 8 + h.headerLength, h.dataOffset + h.dataSize == fileSize else { return false }
        var cursor = 0
        for t in h.tensors {
            guard t.begin == cursor, t.end >= t.begin, t.end <= h.dataSize else { return false }
            let bits = t.shape.reduce(1, *) * t.dtype.bits
            guard bits == t.byteCount * 8 else { return false }
            cursor = t.end
        }
        return cursor == h.dataSize
    }
}

/// Generates file images: random bytes, valid files with flipped bytes or truncated, wrong
/// header lengths, and structurally generated headers whose every field may be hostile (huge,
/// negative, fractional or overlapping offsets, huge or negative shapes, bad dtypes, duplicate,
/// missing or extra keys, bad metadata).
struct HeaderFuzzer {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }

    static let dtypes = DType.allCases.map(\.rawValue) + ["F17", "f32", "", "BF16 ", "I128"]
    static let hostileNumbers = ["-1", "0", "1", "1.5", "1e3", "-0", "18446744073709551615", "18446744073709551616",
                                 "9223372036854775807", "9223372036854775808", "4294967296", "99999999999999999999999"]

    mutating func next() -> [UInt8] {
        switch int(8) {
        case 0: return (0..<int(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        case 1:
            var f = valid()
            for _ in 0...int(8) { f[int(f.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            return f
        case 2:
            let f = valid()
            return Array(f.prefix(int(f.count)))
        case 3:
            var f = valid()
            let len: UInt64 = chance(0.5) ? rng.next() : UInt64(int(f.count + 16))
            f.replaceSubrange(0..<8, with: le(len))
            return f
        case 4:
            // Insert or delete a few bytes inside the header.
            var f = valid()
            let at = 8 + int(max(1, Int(f[0]) - 1))
            if chance(0.5) { f.insert(UInt8(ascii: [",", "{", "[", "\"", "0", "-"][int(6)]), at: min(at, f.count)) } else if at < f.count { f.remove(at: at) }
            return f
        default:
            return structured()
        }
    }

    /// A well-formed file with a few tensors of assorted dtypes.
    mutating func valid() -> [UInt8] {
        var specs: [TensorSpec] = []
        for k in 0..<(1 + int(4)) {
            let dtype: DType = [.f32, .bf16, .f16, .i64, .bool, .u8][int(6)]
            let shape = (0..<int(3)).map { _ in int(4) }
            let n = shape.reduce(1, *)
            specs.append(TensorSpec(name: "t\(k)", dtype: dtype, shape: shape, bytes: (0..<(n * dtype.bits / 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        }
        return SafetensorsWriter.bytes(specs, metadata: chance(0.5) ? ["format": "pt"] : nil)
    }

    mutating func number(_ plausible: Int, _ hostility: Double) -> String {
        chance(hostility) ? Self.hostileNumbers[int(Self.hostileNumbers.count)] : String(plausible)
    }

    /// A header built field by field, each field possibly hostile, over a data section that
    /// usually fits the entries (so that many cases get past the syntax into the layout checks).
    mutating func structured() -> [UInt8] {
        var entries: [String] = []
        var offset = 0
        let hostility = [0.0, 0.02, 0.1, 0.3][int(4)]
        for k in 0..<int(6) {
            let name = chance(hostility) ? "t0" : "t\(k)"
            let dtype = chance(hostility) ? Self.dtypes[int(Self.dtypes.count)] : ["F32", "BF16", "F16", "I8", "F4", "BOOL"][int(6)]
            let bits = DType(rawValue: dtype)?.bits ?? 8
            var dims = (0..<int(4)).map { _ in 1 + int(5) }
            if dims.reduce(1, *) * bits % 8 != 0 { dims.append(2) }
            let size = dims.reduce(1, *) * bits / 8 + (chance(hostility) ? int(9) - 4 : 0)
            var begin = offset
            if chance(hostility) { begin -= int(16) }  // overlap with the previous tensor
            if chance(hostility) { begin += 1 + int(8) }  // gap
            var end = begin + size
            if chance(hostility) { end += int(8) }  // size mismatch or overrun
            if chance(hostility / 2) { (begin, end) = (end, begin) }
            offset = max(end, begin, offset)
            var fields = [
                "\"dtype\":" + (chance(hostility / 2) ? "7" : "\"\(dtype)\""),
                "\"shape\":" + (chance(hostility / 2) ? "{}" : "[\(dims.map { number($0, hostility) }.joined(separator: ","))]"),
                "\"data_offsets\":" + (chance(hostility / 2) ? "[\(begin)]" : "[\(number(begin, hostility)),\(number(end, hostility))]"),
            ]
            if chance(hostility / 2) { fields.remove(at: int(fields.count)) }
            if chance(hostility / 2) { fields.append("\"extra\":null") }
            entries.append("\"\(name)\":{\(fields.shuffled(using: &rng).joined(separator: ","))}")
        }
        let dataSize = chance(1 - hostility) ? offset : int(offset + 16)
        if chance(0.3) {
            entries.append(chance(1 - hostility) ? "\"__metadata__\":{\"format\":\"pt\"}" : ["\"__metadata__\":{\"format\":\"pt\"}", "\"__metadata__\":{\"n\":1}", "\"__metadata__\":[]",
                            "\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"}"][int(4)])
        }
        let header = "{" + entries.shuffled(using: &rng).joined(separator: ",") + "}"
        return SafetensorsWriter.raw(header: header, data: (0..<max(0, dataSize)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, pad: chance(0.5))
    }
}
