import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks
import PTBTestSupport
import Testing

/// Programs the format tests encode with: the same tools and Python libraries that write
/// training data in practice, never a re-implementation of the scanner's own decoders.
enum FormatTools {
    static func path(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `exe args` with `input` on stdin; returns stdout, and fails the test on a non-zero exit.
    @discardableResult
    static func run(_ exe: String, _ args: [String], input: Data = Data(), cwd: URL? = nil) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let inPipe = Pipe(), outFile = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-fmt-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outFile) }
        let out = try FileHandle(forWritingTo: outFile)
        p.standardInput = inPipe
        p.standardOutput = out
        try p.run()
        inPipe.fileHandleForWriting.write(input)
        try inPipe.fileHandleForWriting.close()
        p.waitUntilExit()
        try out.close()
        #expect(p.terminationStatus == 0, "\(exe) \(args) exited \(p.terminationStatus)")
        return try Data(contentsOf: outFile)
    }

    /// A Python that can import `module`: $PTB_SCAN_TEST_PYTHON, the test home's environment,
    /// then the system's python3.
    static func python(importing module: String) -> String? {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let p = env["PTB_SCAN_TEST_PYTHON"] { candidates.append(p) }
        if let h = env["PTB_TEST_HOME"] { candidates.append(h + "/envs/py/bin/python") }
        candidates += ["/usr/bin/python3", "/usr/local/bin/python3"]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: c)
            p.arguments = ["-c", "import \(module)"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            if p.terminationStatus == 0 { return c }
        }
        return nil
    }

    static let python3 = python(importing: "zipfile")
    static let pyarrow = python(importing: "pyarrow")
    static let datasets = python(importing: "datasets")
}

/// Every container and encoding training data comes in, each produced by the real encoder: the
/// planted test item must be found (with how it was decoded), what cannot be read must be
/// listed as unscanned, and honest model files must give no hit.
@Suite struct ScannerFormatsTests {
    let index = NGramIndex(samples: scanSamples, n: 13, shortN: 8, minTokens: 4, variants: [.rot13])

    /// Training data holding test item q1's question among ordinary lines.
    static let planted: String = {
        var lines = (0..<40).map { #"{"question": "Tom has \#($0) pears and eats one. How many are left?", "answer": "\#($0 - 1)"}"# }
        lines.insert(#"{"question": "Mia has 3 apples. She gets 4 more apples from Noah. How many apples does Mia have now?", "answer": "7"}"#, at: 23)
        return lines.joined(separator: "\n") + "\n"
    }()

    var decoders: ScanDecoders { .system(pythons: [FormatTools.python3, FormatTools.pyarrow].compactMap { $0 }) }

    func scan(_ dir: URL, decoders: ScanDecoders? = nil) throws -> ScanReport {
        var s = ContaminationScanner(index: index, task: "toy", jobs: 2)
        s.decoders = decoders ?? self.decoders
        return try s.scan(paths: [dir.path])
    }

    /// The report has a hit on q1's question in `file` whose decoding path contains `via`.
    func expectPlanted(_ r: ScanReport, file: String, via: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        let hit = r.hits.first { $0.item == "q1" && $0.field == .question && $0.file.hasSuffix("/" + file) }
        #expect(hit != nil, "no hit in \(file): hits \(r.hits.map { "\($0.file) \($0.item) \($0.via ?? "-")" }), unscanned \(r.unscanned)",
                sourceLocation: sourceLocation)
        if let via { #expect(hit?.via?.contains(via) == true, "via \(hit?.via ?? "nil"), wanted \(via)", sourceLocation: sourceLocation) }
    }

    func compressed(_ tool: String, ext: String) throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let exe = try #require(FormatTools.path(tool))
        try FormatTools.run(exe, ["-c"], input: Data(Self.planted.utf8)).write(to: tmp.url.appendingPathComponent("train.jsonl.\(ext)"))
        // Renamed to look like weights: found by its magic bytes, not its name.
        try FormatTools.run(exe, ["-c"], input: Data(Self.planted.utf8)).write(to: tmp.url.appendingPathComponent("pytorch_model.bin"))
        let r = try scan(tmp.url)
        expectPlanted(r, file: "train.jsonl.\(ext)", via: tool == "bzip2" ? "bzip2" : tool)
        expectPlanted(r, file: "pytorch_model.bin", via: nil)
        #expect(r.unscanned.isEmpty, "\(r.unscanned)")
    }

    @Test(.enabled(if: FormatTools.path("gzip") != nil, "needs gzip")) func gzip() throws { try compressed("gzip", ext: "gz") }
    @Test(.enabled(if: FormatTools.path("bzip2") != nil, "needs bzip2")) func bzip2() throws { try compressed("bzip2", ext: "bz2") }
    @Test(.enabled(if: FormatTools.path("xz") != nil, "needs xz")) func xz() throws { try compressed("xz", ext: "xz") }
    @Test(.enabled(if: FormatTools.path("zstd") != nil, "needs zstd")) func zstd() throws { try compressed("zstd", ext: "zst") }

    @Test(.enabled(if: FormatTools.path("tar") != nil && FormatTools.path("gzip") != nil, "needs tar and gzip"))
    func tarballInGzip() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let src = try tmp.directory("src")
        try Data(Self.planted.utf8).write(to: src.appendingPathComponent("train.jsonl"))
        try Data("unrelated notes\n".utf8).write(to: src.appendingPathComponent("README"))
        let out = try tmp.directory("out")
        try FormatTools.run(FormatTools.path("tar")!, ["czf", out.appendingPathComponent("data.tar.gz").path, "-C", src.path, "."])
        let r = try scan(out)
        expectPlanted(r, file: "data.tar.gz", via: "gzip")
    }

    @Test(.enabled(if: FormatTools.path("gzip") != nil, "needs gzip")) func base64OfGzipInsideJSON() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let gz = try FormatTools.run(FormatTools.path("gzip")!, ["-c"], input: Data(Self.planted.utf8))
        let json = #"{"note": "cached batch", "blob": "\#(gz.base64EncodedString())", "step": 3}"#
        try Data(json.utf8).write(to: tmp.url.appendingPathComponent("state.json"))
        let r = try scan(tmp.url)
        expectPlanted(r, file: "state.json", via: "line 1: base64 → gzip")
        // MIME-style: wrapped at 76 characters.
        let wrapped = "-----BEGIN DATA-----\n" + Data(Self.planted.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]) + "\n-----END-----\n"
        try Data(wrapped.utf8).write(to: tmp.url.appendingPathComponent("blob.txt"))
        let r2 = try scan(tmp.url)
        expectPlanted(r2, file: "blob.txt", via: "line 2: base64")
        // A word on the line before wrapped base64 is not part of it.
        let gzWrapped = "payload\n" + gz.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]) + "\n"
        try Data(gzWrapped.utf8).write(to: tmp.url.appendingPathComponent("wrapped.txt"))
        let r3 = try scan(tmp.url)
        expectPlanted(r3, file: "wrapped.txt", via: "line 2: base64 → gzip")
        #expect(r3.unscanned.isEmpty, "\(r3.unscanned)")
    }

    @Test func hexDumpInPython() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let hex = Data(Self.planted.utf8).map { String(format: "%02x", $0) }.joined()
        try Data("DATA = bytes.fromhex(\"\(hex)\")\n".utf8).write(to: tmp.url.appendingPathComponent("gen.py"))
        let r = try scan(tmp.url)
        expectPlanted(r, file: "gen.py", via: "hex")
    }

    @Test func rot13() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let encoded = NGramIndex.Variant.rot13.encode(Self.planted)
        #expect(!encoded.contains("apples"))
        try Data(encoded.utf8).write(to: tmp.url.appendingPathComponent("train.txt"))
        let r = try scan(tmp.url)
        expectPlanted(r, file: "train.txt", via: "rot13")
        // Without the variant indexed it is not found: the hit comes from the ROT13 grams.
        var plain = ContaminationScanner(index: NGramIndex(samples: scanSamples, n: 13, shortN: 8, minTokens: 4), task: "toy", jobs: 1)
        plain.decoders = decoders
        #expect(try plain.scan(paths: [tmp.url.path]).hits.isEmpty)
    }

    @Test func jsonlWithNulBytesAndUTF16() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        var nul = Data([0, 0, 0, 1, 2, 0])
        nul.append(Data(Self.planted.replacingOccurrences(of: "\n", with: "\n\u{0}").utf8))
        try nul.write(to: tmp.url.appendingPathComponent("train.jsonl"))
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(Self.planted.data(using: .utf16LittleEndian)!)
        try utf16.write(to: tmp.url.appendingPathComponent("train16.txt"))
        // No byte-order mark: found from the zero high bytes.
        try Self.planted.data(using: .utf16LittleEndian)!.write(to: tmp.url.appendingPathComponent("nobom.txt"))
        let r = try scan(tmp.url)
        expectPlanted(r, file: "train.jsonl", via: nil)
        expectPlanted(r, file: "train16.txt", via: "UTF-16LE")
        expectPlanted(r, file: "nobom.txt", via: "UTF-16LE")
    }

    @Test func safetensorsHeaderMetadataAndByteTensorsButNotWeights() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let weights = TensorSpec.f32("w", [4, 4], (0..<16).map { Float($0) / 7 })
        try SafetensorsWriter.write([weights], to: tmp.url.appendingPathComponent("meta.safetensors"),
                                    metadata: ["format": "pt", "notes": Self.planted])
        let text = TensorSpec(name: "extra.bytes", dtype: .u8, shape: [Self.planted.utf8.count], bytes: Array(Self.planted.utf8))
        try SafetensorsWriter.write([weights, text], to: tmp.url.appendingPathComponent("u8.safetensors"))
        let r = try scan(tmp.url)
        expectPlanted(r, file: "meta.safetensors", via: "safetensors header")
        expectPlanted(r, file: "u8.safetensors", via: "safetensors tensor extra.bytes")

        // A plain model: the header is read, the float weights are not.
        let clean = try tmp.directory("clean")
        let big = TensorSpec.f32("big", [256, 256], (0..<65536).map { Float($0 % 97) })
        try SafetensorsWriter.write([big], to: clean.appendingPathComponent("model.safetensors"))
        let rc = try scan(clean)
        #expect(rc.hits.isEmpty && rc.unscanned.isEmpty)
        #expect(rc.bytesScanned < 1000, "tensor bytes were read as text: \(rc.bytesScanned)")
    }

    @Test(.enabled(if: FormatTools.pyarrow != nil, "needs a Python with pyarrow (set PTB_SCAN_TEST_PYTHON)"))
    func parquetAndArrow() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let script = """
            import json, sys, pyarrow as pa, pyarrow.parquet as pq
            rows = [json.loads(l) for l in open(sys.argv[1])]
            t = pa.Table.from_pylist(rows)
            pq.write_table(t, sys.argv[2] + "/train.parquet")  # snappy, the default
            pq.write_table(t, sys.argv[2] + "/zstd.parquet", compression="zstd")
            # What the HF datasets cache writes: an uncompressed Arrow IPC stream.
            with pa.OSFile(sys.argv[2] + "/data-00000-of-00001.arrow", "wb") as f:
                with pa.ipc.new_stream(f, t.schema) as w:
                    w.write_table(t)
            with pa.OSFile(sys.argv[2] + "/file.arrow", "wb") as f:
                with pa.ipc.new_file(f, t.schema) as w:
                    w.write_table(t)
            """
        let src = tmp.url.appendingPathComponent("src.jsonl")
        try Data(Self.planted.utf8).write(to: src)
        let out = try tmp.directory("out")
        try FormatTools.run(FormatTools.pyarrow!, ["-c", script, src.path, out.path])
        let r = try scan(out)
        expectPlanted(r, file: "train.parquet", via: "parquet")
        expectPlanted(r, file: "zstd.parquet", via: "parquet")
        expectPlanted(r, file: "data-00000-of-00001.arrow", via: nil)
        expectPlanted(r, file: "file.arrow", via: nil)
        #expect(r.unscanned.isEmpty, "\(r.unscanned)")

        // Without a Python that has pyarrow the Parquet file is UNSCANNED, with the reason.
        let none = try scan(out, decoders: ScanDecoders(tools: decoders.tools, pythons: []))
        #expect(none.hits.allSatisfy { !$0.file.hasSuffix(".parquet") })
        #expect(none.unscanned.filter { $0.path.hasSuffix(".parquet") }.count == 2)
        #expect(none.unscanned.first?.reason.contains("no Python") == true, "\(none.unscanned)")
    }

    @Test(.enabled(if: FormatTools.datasets != nil, "needs a Python with datasets (set PTB_SCAN_TEST_PYTHON)"))
    func huggingFaceDatasetsCache() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let src = tmp.url.appendingPathComponent("src.jsonl")
        try Data(Self.planted.utf8).write(to: src)
        let out = try tmp.directory("saved")
        try FormatTools.run(FormatTools.datasets!, ["-c", """
            import sys, datasets
            ds = datasets.load_dataset("json", data_files=sys.argv[1], cache_dir=sys.argv[2] + "/cache")["train"]
            ds.map(lambda r: {"text": r["question"] + " " + r["answer"]}).save_to_disk(sys.argv[2] + "/disk")
            """, src.path, out.path], cwd: tmp.url)
        let r = try scan(out)
        let arrows = Set(r.hits.filter { $0.item == "q1" && $0.file.hasSuffix(".arrow") }.map { ($0.file as NSString).deletingLastPathComponent })
        #expect(arrows.count >= 2, "cache and save_to_disk arrow files: \(r.hits.map(\.file))")
    }

    @Test(.enabled(if: FormatTools.python3 != nil, "needs python3"))
    func zipArchiveAndTorchCheckpoint() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let src = tmp.url.appendingPathComponent("src.jsonl")
        try Data(Self.planted.utf8).write(to: src)
        let out = try tmp.directory("out")
        try FormatTools.run(FormatTools.python3!, ["-c", """
            import sys, zipfile, gzip, os
            data = open(sys.argv[1], "rb").read()
            with zipfile.ZipFile(sys.argv[2] + "/data.zip", "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("nested/train.jsonl", data)
                z.writestr("more/train.jsonl.gz", gzip.compress(data))
            # A PyTorch-style archive: the pickle holds the text; tensor storage is skipped.
            with zipfile.ZipFile(sys.argv[2] + "/optimizer.pt", "w", zipfile.ZIP_STORED) as z:
                z.writestr("archive/data.pkl", b"\\x80\\x02X" + data)
                z.writestr("archive/data/0", os.urandom(4096))
            """, src.path, out.path])
        let r = try scan(out)
        expectPlanted(r, file: "data.zip", via: "zip member nested/train.jsonl")
        #expect(r.hits.contains { $0.via == "zip member more/train.jsonl.gz → gzip" }, "\(r.hits.map { $0.via ?? "-" })")
        expectPlanted(r, file: "optimizer.pt", via: "zip member archive/data.pkl")
        #expect(r.unscanned.isEmpty, "\(r.unscanned)")
    }

    /// What cannot be read is listed with the reason, and the rest of the file is still read.
    @Test(.enabled(if: FormatTools.path("gzip") != nil, "needs gzip")) func unreadableContainersAreReportedUnscanned() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let gz = try FormatTools.run(FormatTools.path("gzip")!, ["-c"], input: Data(Self.planted.utf8))
        try gz.prefix(gz.count / 2).write(to: tmp.url.appendingPathComponent("cut.jsonl.gz"))
        try Data([0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3, 4]).write(to: tmp.url.appendingPathComponent("x.zst"))
        try Data([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4]).write(to: tmp.url.appendingPathComponent("d.7z"))
        try Data("PAR1 not really".utf8).write(to: tmp.url.appendingPathComponent("t.parquet"))
        try Data("GGUF\u{3}\u{0}".utf8).write(to: tmp.url.appendingPathComponent("m.gguf"))
        // Only gzip is installed, and there is no Python.
        let r = try scan(tmp.url, decoders: ScanDecoders(tools: ["gzip": FormatTools.path("gzip")!], pythons: []))
        let reasons = Dictionary(r.unscanned.map { (($0.path as NSString).lastPathComponent, $0.reason) }, uniquingKeysWith: { a, b in a + "; " + b })
        #expect(reasons["cut.jsonl.gz"]?.contains("gzip -dc") == true, "\(reasons)")
        #expect(reasons["x.zst"]?.contains("`zstd` is not installed") == true, "\(reasons)")
        #expect(reasons["d.7z"]?.contains("no reader") == true, "\(reasons)")
        #expect(reasons["t.parquet"]?.contains("no Python") == true, "\(reasons)")
        #expect(r.skipped.map(\.reason) == ["GGUF model weights"])
        #expect(reasons["m.gguf"] == nil)
        // The part of the truncated gzip that decoded was still scanned.
        #expect(r.renderText(index: index).contains("UNSCANNED"))

        // Over the decoded-size limit: the first part is scanned, the rest reported.
        var small = ScanDecoders.system()
        small.maxDecodedBytes = Self.planted.utf8.count * 3 / 4
        let full = try tmp.directory("full")
        try gz.write(to: full.appendingPathComponent("all.jsonl.gz"))
        let rl = try scan(full, decoders: small)
        expectPlanted(rl, file: "all.jsonl.gz", via: "gzip")
        #expect(rl.unscanned.first?.reason.contains("limit") == true, "\(rl.unscanned)")
    }

    /// An honest model directory, random binary data and ordinary text give no hit and no gap.
    @Test func honestFilesAreClean() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let model = try tmp.directory("final_model")
        try ToyModel.random(seed: 3).write(to: model)
        try Data(#"{"bos_token_id": 1, "eos_token_id": 2, "do_sample": true, "temperature": 0.6}"#.utf8)
            .write(to: model.appendingPathComponent("generation_config.json"))
        try Data("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}".utf8)
            .write(to: model.appendingPathComponent("chat_template.jinja"))
        var rng = SplitMix64(seed: 9)
        try Data((0..<200_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: tmp.url.appendingPathComponent("random.bin"))
        try Data(Data((0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).base64EncodedString().utf8)
            .write(to: tmp.url.appendingPathComponent("noise.b64"))
        try Data("Mia has 3 apples. She gets 4 more\nsha256 \(String(repeating: "0123456789abcdef", count: 4))\n".utf8)
            .write(to: tmp.url.appendingPathComponent("notes.txt"))
        // The real tiny model of the test home, when there is one: tokenizer, config, template.
        if let home = ProcessInfo.processInfo.environment["PTB_TEST_HOME"] {
            let tiny = URL(fileURLWithPath: home).appendingPathComponent("models/tiny")
            if FileManager.default.fileExists(atPath: tiny.path) {
                try FileManager.default.copyItem(at: tiny, to: tmp.url.appendingPathComponent("tiny"))
            }
        }
        let r = try scan(tmp.url)
        #expect(r.hits.isEmpty, "\(r.hits)")
        #expect(r.unscanned.isEmpty, "\(r.unscanned)")
        #expect(r.skipped.isEmpty, "\(r.skipped)")
    }
}
