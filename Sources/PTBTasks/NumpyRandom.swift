/// numpy's `np.random.default_rng(seed)` (SeedSequence → PCG64) and `Generator.permutation(n)`
/// — what Hugging Face `datasets.Dataset.shuffle(seed=…)` calls. inspect's `hf_dataset(shuffle=True,
/// seed=42, limit=10)` picks GSM8K's few-shot examples with it, so ptb reproduces the same ten.
struct NumpyRandom {
    private var state: UInt128
    private let increment: UInt128
    private var bufferedUInt32: UInt32?

    static let multiplier: UInt128 = (0x2360_ED05_1FC6_5DA4 << 64) | 0x4385_DF64_9FCC_F645

    init(seed: UInt64) {
        let words = Self.seedSequenceState(entropy: seed, words64: 4)
        let initState = UInt128(words[0]) << 64 | UInt128(words[1])
        let initSeq = UInt128(words[2]) << 64 | UInt128(words[3])
        // pcg_setseq_128_srandom_r
        increment = (initSeq << 1) | 1
        state = 0
        step()
        state &+= initState
        step()
    }

    private mutating func step() { state = state &* Self.multiplier &+ increment }

    /// PCG64 (XSL-RR 128/64): step, then output from the new state.
    mutating func nextUInt64() -> UInt64 {
        step()
        let hi = UInt64(truncatingIfNeeded: state >> 64)
        let lo = UInt64(truncatingIfNeeded: state)
        let rot = UInt64(truncatingIfNeeded: state >> 122)
        let x = hi ^ lo
        return (x >> rot) | (x << ((64 &- rot) & 63))
    }

    /// numpy's `next_uint32` for PCG64: one 64-bit draw serves two calls, low half first.
    mutating func nextUInt32() -> UInt32 {
        if let b = bufferedUInt32 { bufferedUInt32 = nil; return b }
        let v = nextUInt64()
        bufferedUInt32 = UInt32(truncatingIfNeeded: v >> 32)
        return UInt32(truncatingIfNeeded: v)
    }

    /// `random_interval(max)`: masked rejection sampling in [0, max].
    mutating func interval(_ max: UInt64) -> UInt64 {
        if max == 0 { return 0 }
        var mask = max
        for s in [1, 2, 4, 8, 16, 32] as [UInt64] { mask |= mask >> s }
        if max <= 0xFFFF_FFFF {
            while true {
                let v = UInt64(nextUInt32()) & mask
                if v <= max { return v }
            }
        }
        while true {
            let v = nextUInt64() & mask
            if v <= max { return v }
        }
    }

    /// `Generator.permutation(n)`: `arange(n)` shuffled by Fisher–Yates from the end.
    mutating func permutation(_ n: Int) -> [Int] {
        var a = Array(0..<n)
        guard n > 1 else { return a }
        for i in stride(from: n - 1, through: 1, by: -1) {
            a.swapAt(i, Int(interval(UInt64(i))))
        }
        return a
    }

    /// `SeedSequence(entropy).generate_state(words64, np.uint64)` for a single-word-or-two seed
    /// (pool size 4, no spawn key).
    static func seedSequenceState(entropy: UInt64, words64: Int) -> [UInt64] {
        let initA: UInt32 = 0x43B0_D7E5, multA: UInt32 = 0x931E_8875
        let initB: UInt32 = 0x8B51_F9DD, multB: UInt32 = 0x58F3_8DED
        let mixL: UInt32 = 0xCA01_F9DD, mixR: UInt32 = 0x4973_F715
        var entropyWords: [UInt32] = [UInt32(truncatingIfNeeded: entropy)]
        if entropy >> 32 != 0 { entropyWords.append(UInt32(truncatingIfNeeded: entropy >> 32)) }

        var hashConst = initA
        func hashmix(_ v: UInt32) -> UInt32 {
            var value = v ^ hashConst
            hashConst = hashConst &* multA
            value = value &* hashConst
            return value ^ (value >> 16)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let r = mixL &* x &- mixR &* y
            return r ^ (r >> 16)
        }
        var pool = [UInt32](repeating: 0, count: 4)
        for i in 0..<4 { pool[i] = hashmix(i < entropyWords.count ? entropyWords[i] : 0) }
        for src in 0..<4 {
            for dst in 0..<4 where src != dst { pool[dst] = mix(pool[dst], hashmix(pool[src])) }
        }

        var h = initB
        var words32: [UInt32] = []
        for i in 0..<(words64 * 2) {
            var v = pool[i % 4] ^ h
            h = h &* multB
            v = v &* h
            words32.append(v ^ (v >> 16))
        }
        return (0..<words64).map { UInt64(words32[2 * $0]) | UInt64(words32[2 * $0 + 1]) << 32 }
    }
}
