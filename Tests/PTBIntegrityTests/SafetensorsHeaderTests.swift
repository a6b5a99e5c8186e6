import Foundation
import PTBIntegrity
import PTBTestSupport
import Testing

/// Parses a whole file image.
func parse(_ bytes: [UInt8]) throws(SafetensorsError) -> SafetensorsHeader {
    do {
        return try bytes.withUnsafeBytes { raw in try SafetensorsHeader.parse(file: raw) }
    } catch let e as SafetensorsError {
        throw e
    } catch {
        fatalError("untyped error \(error)")
    }
}

func expectProblem(_ expected: SafetensorsError, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let h = try parse(bytes)
        Issue.record("accepted an invalid file: \(h)", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
        #expect(!error.description.isEmpty)
    }
}

/// One F32 tensor entry.
func entry(_ name: String, dtype: String = "F32", shape: String = "[2]", offsets: String) -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
}

@Suite struct SafetensorsHeaderTests {
    @Test func acceptsAValidFile() throws {
        let bytes = SafetensorsWriter.bytes([
            .f32("b", [2], [1, 2]), .f32("a", [1, 3], [3, 4, 5]),
            TensorSpec(name: "mask", dtype: .bool, shape: [3], bytes: [1, 0, 1]),
            TensorSpec(name: "empty", dtype: .bf16, shape: [0, 4], bytes: []),
        ], metadata: ["format": "pt"])
        let h = try parse(bytes)
        #expect(h.tensors.map(\.name) == ["a", "b", "empty", "mask"])
        #expect(h.metadata == ["format": "pt"])
        #expect(h.dataOffset == 8 + h.headerLength)
        #expect(h.dataSize == 12 + 8 + 3)
        #expect(h.tensors[0].shape == [1, 3] && h.tensors[0].elementCount == 3 && h.tensors[0].byteCount == 12)
    }

    @Test func acceptsHeaderOnlyFileWithNoTensors() throws {
        let h = try parse(SafetensorsWriter.raw(header: "{}", data: []))
        #expect(h.tensors.isEmpty && h.dataSize == 0)
    }

    @Test func refusesTruncatedLengthField() {
        expectProblem(.tooSmall(size: 5), [1, 2, 3, 4, 5])
    }

    @Test func refusesHeaderLengthBeyondTheFile() {
        var bytes = SafetensorsWriter.raw(header: "{}", data: [])
        bytes.replaceSubrange(0..<8, with: le(UInt64(1000)))
        expectProblem(.headerLengthOutOfBounds(length: 1000, fileSize: bytes.count, limit: SafetensorsHeader.maxHeaderLength), bytes)
    }

    @Test func refusesHugeAndTinyHeaderLengths() {
        let huge = le(UInt64.max) + Array(repeating: 0x20, count: 16)
        expectProblem(.headerLengthOutOfBounds(length: .max, fileSize: 24, limit: SafetensorsHeader.maxHeaderLength), huge)
        let one = le(UInt64(1)) + Array("{".utf8)
        expectProblem(.headerLengthOutOfBounds(length: 1, fileSize: 9, limit: SafetensorsHeader.maxHeaderLength), one)
    }

    @Test func refusesNonJSONAndNonObjects() throws {
        let notJSON = SafetensorsWriter.raw(header: "{\"a\": nope}", data: [])
        do { _ = try parse(notJSON); Issue.record("accepted invalid JSON") } catch {
            guard case .headerNotJSON(let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("byte"))
        }
        expectProblem(.headerNotObject, SafetensorsWriter.raw(header: "[1, 2]", data: []))
        expectProblem(.headerNotObject, SafetensorsWriter.raw(header: " {}", data: []))
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        var bytes = SafetensorsWriter.raw(header: "{\"__metadata__\":{\"k\":\"xx\"}}", data: [])
        let at = bytes.firstIndex(of: UInt8(ascii: "x"))!
        bytes[at] = 0xFF
        do { _ = try parse(bytes); Issue.record("accepted invalid UTF-8") } catch {
            guard case .headerNotJSON(let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("UTF-8"))
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        do { _ = try parse(SafetensorsWriter.raw(header: deep, data: [])); Issue.record("accepted deep nesting") } catch {
            guard case .headerNotJSON(let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("nesting"))
        }
    }

    @Test func refusesDuplicateKeys() {
        let h = "{\(entry("w", offsets: "[0,8]")),\(entry("w", offsets: "[0,8]"))}"
        expectProblem(.duplicateKey("w"), SafetensorsWriter.raw(header: h, data: Array(repeating: 0, count: 8)))
    }

    @Test func refusesBadMetadata() {
        expectProblem(.invalidMetadata(reason: "is not an object"), SafetensorsWriter.raw(header: "{\"__metadata__\":[1]}", data: []))
        expectProblem(.invalidMetadata(reason: "value of 'n' is not a string"), SafetensorsWriter.raw(header: "{\"__metadata__\":{\"n\":1}}", data: []))
    }

    @Test func refusesMalformedEntries() {
        let data = [UInt8](repeating: 0, count: 8)
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'dtype' is missing"),
                      SafetensorsWriter.raw(header: "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "unexpected field 'extra'"),
                      SafetensorsWriter.raw(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "the entry is not an object"),
                      SafetensorsWriter.raw(header: "{\"w\":[1,2]}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'dtype' is not a string"),
                      SafetensorsWriter.raw(header: "{\"w\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'data_offsets' is not an array of two integers"),
                      SafetensorsWriter.raw(header: "{\(entry("w", offsets: "[0,4,8]"))}", data: data))
    }

    @Test func refusesUnknownDType() {
        expectProblem(.unknownDType(tensor: "w", dtype: "F17"),
                      SafetensorsWriter.raw(header: "{\(entry("w", dtype: "F17", offsets: "[0,8]"))}", data: [UInt8](repeating: 0, count: 8)))
        // Case matters in the format.
        expectProblem(.unknownDType(tensor: "w", dtype: "f32"),
                      SafetensorsWriter.raw(header: "{\(entry("w", dtype: "f32", offsets: "[0,8]"))}", data: [UInt8](repeating: 0, count: 8)))
    }

    @Test func refusesBadNumbers() {
        let data = [UInt8](repeating: 0, count: 8)
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'shape' has a negative number"),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[-2]", offsets: "[0,8]"))}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'shape' has a non-integer number"),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[2.0]", offsets: "[0,8]"))}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'data_offsets' has a number beyond 2^63"),
                      SafetensorsWriter.raw(header: "{\(entry("w", offsets: "[0,18446744073709551624]"))}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'data_offsets' has a negative number"),
                      SafetensorsWriter.raw(header: "{\(entry("w", offsets: "[-8,0]"))}", data: data))
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "'shape' has a non-number element"),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[\"2\"]", offsets: "[0,8]"))}", data: data))
    }

    @Test func refusesShapesWhoseSizeOverflows() {
        // 2^32 × 2^32 elements: the product wraps to 0 in unchecked 64-bit arithmetic.
        expectProblem(.shapeOverflow(tensor: "w"),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[4294967296,4294967296]", offsets: "[0,0]"))}", data: []))
        // Elements fit, bytes do not.
        expectProblem(.shapeOverflow(tensor: "w"),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[4611686018427387904]", offsets: "[0,0]"))}", data: []))
    }

    @Test func refusesOffsetsThatDoNotFit() {
        let data = [UInt8](repeating: 0, count: 8)
        expectProblem(.reversedOffsets(tensor: "w", begin: 8, end: 0),
                      SafetensorsWriter.raw(header: "{\(entry("w", offsets: "[8,0]"))}", data: data))
        expectProblem(.offsetsOutOfBounds(tensor: "w", end: 16, dataSize: 8),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[4]", offsets: "[0,16]"))}", data: data))
        expectProblem(.sizeMismatch(tensor: "w", expected: 12, actual: 8),
                      SafetensorsWriter.raw(header: "{\(entry("w", shape: "[3]", offsets: "[0,8]"))}", data: data))
    }

    @Test func refusesOverlapsGapsAndTrailingBytes() {
        let data = [UInt8](repeating: 0, count: 16)
        expectProblem(.overlap(tensor: "b", other: "a"),
                      SafetensorsWriter.raw(header: "{\(entry("a", offsets: "[0,8]")),\(entry("b", offsets: "[4,12]"))}", data: data))
        expectProblem(.overlap(tensor: "b", other: "a"),
                      SafetensorsWriter.raw(header: "{\(entry("a", offsets: "[0,8]")),\(entry("b", offsets: "[0,8]"))}", data: Array(data[0..<8])))
        expectProblem(.gap(before: "b", at: 8, next: 12),
                      SafetensorsWriter.raw(header: "{\(entry("a", offsets: "[0,8]")),\(entry("b", offsets: "[12,20]"))}", data: data + [0, 0, 0, 0]))
        expectProblem(.trailingBytes(dataSize: 16, covered: 8),
                      SafetensorsWriter.raw(header: "{\(entry("a", offsets: "[0,8]"))}", data: data))
    }

    @Test func subByteTypesMustFillWholeBytes() throws {
        expectProblem(.invalidTensorEntry(tensor: "w", reason: "3 elements of F4 do not fill whole bytes"),
                      SafetensorsWriter.raw(header: "{\(entry("w", dtype: "F4", shape: "[3]", offsets: "[0,2]"))}", data: [0, 0]))
        let ok = try parse(SafetensorsWriter.raw(header: "{\(entry("w", dtype: "F4", shape: "[4]", offsets: "[0,2]"))}", data: [0, 0]))
        #expect(ok.tensors[0].byteCount == 2)
    }

    @Test func errorsCarryTheFileAndAdvice() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let url = dir.url.appendingPathComponent("model.safetensors")
        try Data([1, 2, 3]).write(to: url)
        do { _ = try SafetensorsFile(path: url.path); Issue.record("accepted a 3-byte file") } catch {
            #expect(error.problem == .tooSmall(size: 3))
            #expect(error.description.hasPrefix(url.path))
            #expect(error.description.contains("save_pretrained"))
        }
    }
}
