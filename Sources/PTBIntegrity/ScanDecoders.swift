import Foundation

/// The containers training data really comes in, recognised by their first bytes (never by the
/// file name alone: renaming `train.jsonl.gz` to `weights.bin` must not hide it).
enum ScanContainer: String, Sendable {
    case gzip, bzip2, xz, zstd, lz4
    case parquet, zip, sevenZip = "7z", rar
    case gguf, safetensors
    case utf16le = "UTF-16LE", utf16be = "UTF-16BE"

    /// Compressed streams decoded by a command-line tool (`-dc FILE` writes the data to stdout).
    var tool: String? {
        switch self {
        case .gzip: "gzip"
        case .bzip2: "bzip2"
        case .xz: "xz"
        case .zstd: "zstd"
        case .lz4: "lz4"
        default: nil
        }
    }

    static func sniff(_ b: UnsafeRawBufferPointer, ext: String) -> ScanContainer? {
        func starts(_ magic: [UInt8]) -> Bool {
            b.count >= magic.count && Swift.zip(b.prefix(magic.count), magic).allSatisfy { $0 == $1 }
        }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x42, 0x5A, 0x68]), b.count > 3, (0x31...0x39).contains(b[3]) { return .bzip2 }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x04, 0x22, 0x4D, 0x18]) { return .lz4 }
        if starts(Array("PAR1".utf8)) { return .parquet }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return .sevenZip }
        if starts(Array("Rar!\u{1A}\u{07}".utf8)) { return .rar }
        if starts(Array("GGUF".utf8)) { return .gguf }
        if b.count >= 10, b[8] == UInt8(ascii: "{") {
            let n = b.loadUnaligned(as: UInt64.self).littleEndian
            if n >= 2, n <= UInt64(SafetensorsHeader.maxHeaderLength), n <= UInt64(b.count - 8) { return .safetensors }
        }
        if starts([0xFF, 0xFE]) && !starts([0xFF, 0xFE, 0x00, 0x00]) { return .utf16le }
        if starts([0xFE, 0xFF]) { return .utf16be }
        // UTF-16 without a byte-order mark: ASCII text leaves every other byte zero.
        let probe = min(b.count, 4096) & ~1
        if probe >= 64 {
            var evenZero = 0, oddZero = 0
            for k in stride(from: 0, to: probe, by: 2) {
                if b[k] == 0 { evenZero += 1 }
                if b[k + 1] == 0 { oddZero += 1 }
            }
            let half = probe / 2
            if oddZero * 10 >= half * 9, evenZero * 10 < half { return .utf16le }
            if evenZero * 10 >= half * 9, oddZero * 10 < half { return .utf16be }
        }
        return nil
    }
}

/// What the scanner runs to read containers it has no Swift reader for: the system's
/// decompressors, and Python for Parquet (pyarrow) and zip archives (stdlib). Anything missing
/// makes the file UNSCANNED with the reason, never silently skipped.
public struct ScanDecoders: Sendable {
    /// Tool name → absolute path, for those found.
    public var tools: [String: String]
    /// Interpreters to try in order; Parquet needs one that can import pyarrow.
    public var pythons: [String]
    /// Decoded bytes kept per container; more is scanned up to this and reported.
    public var maxDecodedBytes: Int

    public init(tools: [String: String], pythons: [String], maxDecodedBytes: Int = 2 << 30) {
        self.tools = tools
        self.pythons = pythons
        self.maxDecodedBytes = maxDecodedBytes
    }

    /// The tools found on `PATH` (and the usual system directories), and the given interpreters
    /// followed by `python3` from `PATH`.
    public static func system(pythons: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment) -> ScanDecoders {
        let dirs = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/local/bin"]
        func find(_ name: String) -> String? {
            dirs.lazy.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        var tools: [String: String] = [:]
        for name in ["gzip", "bzip2", "xz", "zstd", "lz4"] { tools[name] = find(name) }
        let py = pythons.filter { FileManager.default.isExecutableFile(atPath: $0) } + (find("python3").map { [$0] } ?? [])
        var seen = Set<String>()
        return ScanDecoders(tools: tools, pythons: py.filter { seen.insert($0).inserted })
    }

    enum Input {
        case file(String)
        case bytes(UnsafeRawBufferPointer)
    }

    struct Output {
        var data: Data
        /// Set when the data is incomplete: the tool failed after writing part of it, or the
        /// output passed `maxDecodedBytes`.
        var problem: String?
    }

    /// Decompresses with `container.tool`; nil output with the reason when nothing came out.
    func decompress(_ container: ScanContainer, _ input: Input) -> (Output?, String?) {
        guard let name = container.tool else { return (nil, "no decoder for \(container.rawValue)") }
        guard let exe = tools[name] else {
            return (nil, "\(container.rawValue)-compressed; `\(name)` is not installed here (install it, e.g. `apt-get install \(name == "xz" ? "xz-utils" : name)`, to scan it)")
        }
        return withFile(input) { path in
            let r = Self.run(exe, ["-dc", path], cap: maxDecodedBytes)
            if r.data.isEmpty, let problem = r.problem { return (nil, "\(name) -dc failed: \(problem)") }
            return (Output(data: r.data, problem: r.problem.map { "\(name) -dc: \($0)" }), nil)
        }
    }

    /// Every string of a Parquet file, one JSON object per row.
    func parquet(_ input: Input) -> (Output?, String?) {
        python(Self.parquetScript, input, what: "Parquet", needs: "pyarrow")
    }

    /// The members of a zip archive, framed as `name NUL length(8, LE) bytes`; tensor storage of
    /// a PyTorch checkpoint (`…/data/<n>` beside `data.pkl`) is left out: weights, not text.
    func zip(_ input: Input) -> (Output?, String?) {
        python(Self.zipScript, input, what: "zip archive", needs: nil)
    }

    private func python(_ script: String, _ input: Input, what: String, needs module: String?) -> (Output?, String?) {
        guard !pythons.isEmpty else { return (nil, "\(what): no Python interpreter to read it") }
        return withFile(input) { path in
            var tried: [String] = []
            for py in pythons {
                let r = Self.run(py, ["-c", script, path], cap: maxDecodedBytes)
                if r.status == 3 {  // the script's "module missing"
                    tried.append(py)
                    continue
                }
                if r.data.isEmpty, let problem = r.problem { return (nil, "\(what) could not be read: \(problem)") }
                return (Output(data: r.data, problem: r.problem.map { "\(what) read only in part: \($0)" }), nil)
            }
            return (nil, "\(what): none of \(tried.joined(separator: ", ")) can import \(module ?? "its reader") (install it in the Python environment to scan this file)")
        }
    }

    private func withFile<T>(_ input: Input, _ body: (String) -> T) -> T {
        switch input {
        case .file(let p): return body(p)
        case .bytes(let b):
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-scan-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: url) }
            do { try Data(b).write(to: url) } catch { return body("/nonexistent-ptb-scan-temp-file") }
            return body(url.path)
        }
    }

    /// Runs `exe args`, keeping at most `cap` bytes of its stdout. `problem` says why the
    /// output may be incomplete (exit status and the last line of stderr, or the cap).
    static func run(_ exe: String, _ args: [String], cap: Int) -> (data: Data, status: Int32, problem: String?) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (Data(), -1, "\(exe) could not start: \(error)") }
        var data = Data()
        var capped = false
        let h = out.fileHandleForReading
        while true {
            let chunk = h.availableData
            if chunk.isEmpty { break }
            if data.count + chunk.count > cap {
                data.append(chunk.prefix(cap - data.count))
                capped = true
                p.terminate()
                break
            }
            data.append(chunk)
        }
        // Drain stderr before waiting so a chatty tool cannot block on a full pipe.
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if capped { return (data, p.terminationStatus, "decoded data passes the \(cap >> 20) MiB limit; only the first \(cap >> 20) MiB were scanned") }
        guard p.terminationStatus != 0 else { return (data, 0, nil) }
        let last = errText.split(separator: "\n").last.map(String.init) ?? ""
        return (data, p.terminationStatus, "exit status \(p.terminationStatus)\(last.isEmpty ? "" : ": " + String(last.prefix(300)))")
    }

    static let parquetScript = """
        import sys, json
        try:
            import pyarrow.parquet as pq
        except ImportError:
            sys.exit(3)
        out = sys.stdout.buffer
        f = pq.ParquetFile(sys.argv[1])
        for batch in f.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                out.write(json.dumps(row, ensure_ascii=False, default=str).encode("utf-8", "replace") + b"\\n")
        """

    static let zipScript = """
        import sys, re, struct, zipfile
        out = sys.stdout.buffer
        z = zipfile.ZipFile(sys.argv[1])
        infos = [i for i in z.infolist() if not i.is_dir()]
        torch = any(i.filename.endswith("data.pkl") for i in infos)
        for i in infos:
            if torch and re.search(r"/data/[0-9]+$", i.filename):
                continue
            b = z.read(i)
            out.write(i.filename.encode("utf-8", "replace").replace(b"\\0", b"?") + b"\\0" + struct.pack("<Q", len(b)) + b)
        """
}

/// Runs of base64 (or hex) long enough to hide data, found inside any text.
enum EncodedRuns {
    static let minLength = 64

    /// 0: not in the alphabet; 1: base64; 2: also a hex digit; 3: padding. The URL-safe
    /// alphabet's `-` and `_` are left out: they join base64 to the words and `-----` rules
    /// around it, and a run that starts at the wrong character decodes to garbage.
    static let table: [UInt8] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): 2
        case UInt8(ascii: "g")...UInt8(ascii: "z"), UInt8(ascii: "G")...UInt8(ascii: "Z"): 1
        case UInt8(ascii: "+"), UInt8(ascii: "/"): 1
        case UInt8(ascii: "="): 3
        default: 0
        }
    }

    static let values: [UInt8] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(b) - 65
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt8(b) - 97 + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(b) - 48 + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: 255
        }
    }

    /// (start, end) of each run of ≥ `minLength` alphabet characters; line breaks inside a run
    /// (MIME wraps base64 at 76) continue it. Probes every `minLength / 2` bytes and grows the
    /// run around a hit, so prose costs a few lookups per probe instead of one per byte.
    static func find(_ b: UnsafeRawBufferPointer) -> [(start: Int, end: Int)] {
        var runs: [(Int, Int)] = []
        let n = b.count
        var probe = 0
        let stride = minLength / 2
        table.withUnsafeBufferPointer { t in
            func inRun(_ k: Int) -> Bool {
                let c = t[Int(b[k])]
                if c == 1 || c == 2 { return true }
                // A line break inside a run, not at its ends.
                if b[k] == 0x0A || b[k] == 0x0D { return k > 0 && k + 1 < n && t[Int(b[k - 1])] != 0 && t[Int(b[k + 1])] != 0 }
                return false
            }
            while probe < n {
                guard inRun(probe) else {
                    probe += stride
                    continue
                }
                var s = probe, e = probe + 1
                while s > 0, inRun(s - 1) { s -= 1 }
                while e < n, inRun(e) { e += 1 }
                // Up to two '=' of padding end a run.
                var pad = 0
                while e < n, pad < 2, b[e] == UInt8(ascii: "=") { e += 1; pad += 1 }
                // Wrapped base64 has full lines of one length (only the last is shorter): a first
                // line shorter than the second is a word before it ("payload" on its own line).
                if e - s >= minLength, let nl = (s..<e).first(where: { b[$0] == 0x0A }), let nl2 = ((nl + 1)..<e).first(where: { b[$0] == 0x0A }),
                   nl - s < nl2 - nl - 1 {
                    s = nl + 1
                }
                if e - s >= minLength { runs.append((s, e)) }
                probe = max(e, probe + stride)
            }
        }
        return runs
    }

    /// The run decoded as hex when it is only hex digits (e.g. a `bytes.hex()` dump), else as
    /// base64 (line breaks and padding ignored, a trailing partial group dropped).
    static func decode(_ run: UnsafeRawBufferPointer) -> (Data, String) {
        let chars = run.filter { $0 != 0x0A && $0 != 0x0D && $0 != UInt8(ascii: "=") }
        if chars.count % 2 == 0, chars.allSatisfy({ table[Int($0)] == 2 }) {
            var out = Data(capacity: chars.count / 2)
            var k = 0
            func hex(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
            while k + 1 < chars.count {
                out.append(hex(chars[k]) << 4 | hex(chars[k + 1]))
                k += 2
            }
            return (out, "hex")
        }
        var out = Data(capacity: chars.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in chars {
            let v = values[Int(c)]
            guard v != 255 else { continue }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return (out, "base64")
    }
}
