import PTBIntegrity
import Testing

@Suite struct HalfConversionTests {
    /// Every one of the 65,536 half values, scalar and vector paths, against the hardware-
    /// independent reference `Float(Float16(bitPattern:))`.
    @Test func f16IsExactForEveryBitPattern() {
        var bits = [UInt16](0...UInt16.max)
        var out = [Float](repeating: 0, count: bits.count)
        bits.withUnsafeMutableBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                HalfConversion.toFloat(UnsafeRawPointer(src.baseAddress!), dtype: .f16, count: src.count / 2, into: dst.baseAddress!)
            }
        }
        var mismatches = 0
        for b in bits {
            let expected = Float(Float16(bitPattern: b))
            let scalar = HalfConversion.f16ToFloat(b)
            let vector = out[Int(b)]
            let same = { (x: Float) in x.bitPattern == expected.bitPattern || (x.isNaN && expected.isNaN) }
            if !same(scalar) || !same(vector) { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(HalfConversion.f16ToFloat(0x3C00) == 1)
        #expect(HalfConversion.f16ToFloat(0xC000) == -2)
        #expect(HalfConversion.f16ToFloat(0x0001) == 0x1p-24)  // smallest subnormal
        #expect(HalfConversion.f16ToFloat(0x7C00) == .infinity)
        #expect(HalfConversion.f16ToFloat(0x7E00).isNaN)
        #expect(HalfConversion.f16ToFloat(0x8000).sign == .minus)
    }

    @Test func bf16IsTheTopHalfOfAFloat() {
        #expect(HalfConversion.bf16ToFloat(0x3F80) == 1)
        #expect(HalfConversion.bf16ToFloat(0xC040) == -3)
        #expect(HalfConversion.bf16ToFloat(0x7F80) == .infinity)
        #expect(HalfConversion.bf16ToFloat(0x0001) == Float(bitPattern: 0x0001_0000))
        // Bulk path at an odd (unaligned) address, with a tail shorter than one vector.
        let values: [UInt16] = (0..<19).map { UInt16(0x3F80 + $0 * 3) }
        var raw: [UInt8] = [0xAA] + values.flatMap { le($0) }
        var out = [Float](repeating: 0, count: values.count)
        raw.withUnsafeMutableBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                HalfConversion.toFloat(UnsafeRawPointer(src.baseAddress! + 1), dtype: .bf16, count: values.count, into: dst.baseAddress!)
            }
        }
        #expect(out == values.map { Float(bitPattern: UInt32($0) << 16) })
    }
}
