import Foundation
import PTBCore
import Testing

/// ptb's own SHA-256 (it replaced swift-crypto, whose BoringSSL cost the build ~50 s): the FIPS
/// 180-4 examples, both code paths, arbitrary update splits, and coreutils' sha256sum on a file.
@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test func theStandardsExamplesOnBothPaths() {
        for (input, want) in Self.vectors {
            #expect(Hashing.sha256(Data(input.utf8)) == want, "\(input.prefix(20))")
            var p = SHA256.portable()
            p.update(input)
            #expect(p.finalizeHex() == want, "portable: \(input.prefix(20))")
        }
    }

    /// Every length around the 55/56/64-byte padding edges, fed in random pieces, agrees between
    /// the one-shot digest, a split stream, and the portable rounds.
    @Test func splitsAndPaddingEdgesAgree() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<1200).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for n in Array(0...200) + [447, 448, 511, 512, 513, 1023, 1024, 1200] {
            let d = Data(bytes[0..<n])
            let whole = Hashing.sha256(d)
            var split = SHA256()
            var portable = SHA256.portable()
            var i = 0
            while i < n {
                let k = min(n - i, Int.random(in: 0...130, using: &rng))
                split.update(data: d.subdata(in: i..<(i + k)))
                portable.update(data: d.subdata(in: i..<(i + k)))
                i += k
            }
            #expect(split.finalizeHex() == whole, "length \(n)")
            #expect(portable.finalizeHex() == whole, "portable, length \(n)")
        }
    }

    @Test func aFileHashesAsCoreutilsSays() async throws {
        let sum = ["/usr/bin/sha256sum", "/bin/sha256sum"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let tool = try #require(sum, "coreutils' sha256sum is missing")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-sha-\(UUID().uuidString.prefix(8)).bin")
        defer { try? FileManager.default.removeItem(at: file) }
        var rng = SystemRandomNumberGenerator()
        // Over three of the reader's 1 MiB chunks, ending mid-block.
        try Data((0..<(3 << 20) + 77).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = [file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(try Hashing.sha256(file: file) == String(said.prefix(64)))
    }
}
