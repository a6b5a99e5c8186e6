/// CPython's `random.Random(seed)` (MT19937 seeded with `init_by_array`) — just enough for
/// `shuffle`, which inspect's `MemoryDataset.shuffle_choices(seed)` uses (with the same seed,
/// ptb's GPQA option order is the one inspect would produce), and the draws of
/// `arith_generator.py` (`random`, `randint`, `choice`) for arith's dev split.
struct PythonRandom {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.Random(n)` for a non-negative integer seed: the key is the seed's 32-bit words,
    /// least significant first (`[0]` for 0).
    init(seed: UInt64) {
        var key: [UInt32] = [UInt32(truncatingIfNeeded: seed)]
        if seed >> 32 != 0 { key.append(UInt32(truncatingIfNeeded: seed >> 32)) }
        initByArray(key)
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<624 {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    private mutating func initByArray(_ key: [UInt32]) {
        initGenrand(19_650_218)
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
        }
        mt[0] = 0x8000_0000
    }

    mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7FFF_FFFF)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
            }
            index = 0
        }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `getrandbits(k)` for 1 ≤ k ≤ 32.
    mutating func getrandbits(_ k: Int) -> UInt32 { nextUInt32() >> UInt32(32 - k) }

    /// `_randbelow_with_getrandbits(n)`.
    mutating func randbelow(_ n: Int) -> Int {
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = Int(getrandbits(k))
        while r >= n { r = Int(getrandbits(k)) }
        return r
    }

    /// `random()`: 53 random bits from two draws, as CPython's `random_random`.
    mutating func random() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864 + b) * (1.0 / 9_007_199_254_740_992)
    }

    /// `randint(a, b)` (`randrange(a, b + 1)`), both ends included.
    mutating func randint(_ a: Int, _ b: Int) -> Int { a + randbelow(b - a + 1) }

    /// `choice(seq)` of a non-empty array.
    mutating func choice<T>(_ seq: [T]) -> T { seq[randbelow(seq.count)] }

    /// `random.shuffle(x)`.
    mutating func shuffle<T>(_ x: inout [T]) {
        guard x.count > 1 else { return }
        for i in stride(from: x.count - 1, through: 1, by: -1) {
            let j = randbelow(i + 1)
            x.swapAt(i, j)
        }
    }
}
