import Dispatch
import Foundation
import PTBCore
import Synchronization

/// Finds test items in training data: walks files, streams each one's bytes through the
/// normaliser and looks every position's gram up in an `NGramIndex`.
///
/// Files are memory-mapped and read as bytes (no String per line); files are spread over
/// `jobs` threads and the report is assembled in path order, so it is the same for any `jobs`.
public struct ContaminationScanner: Sendable {
    public var index: NGramIndex
    public var task: String
    public var jobs: Int
    public var maxFileBytes: Int
    /// Hits kept in the report (all are counted).
    public var maxHits: Int
    /// When set, a link is followed only when its real path lies under one of these roots; the
    /// others are reported as skipped, never read (the run's scan runs with the host's rights
    /// over files an agent made).
    public var confineLinksTo: [String]?

    /// Programs for containers without a Swift reader (compressed streams, Parquet, zip).
    public var decoders: ScanDecoders = .system()
    /// Containers inside containers (a zip in a tarball in a gzip, base64 in JSON) are opened
    /// this deep; deeper ones are reported unscanned.
    public var maxDepth = 6

    /// String escapes in these formats are decoded (see `TextNormalizer`); decoded content
    /// that starts like JSON is treated the same.
    static let escapedExtensions: Set<String> = ["json", "jsonl", "ndjson", "ipynb", "py"]

    public init(index: NGramIndex, task: String, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                maxFileBytes: Int = 4 << 30, maxHits: Int = 10_000) {
        self.index = index
        self.task = task
        self.jobs = max(1, jobs)
        self.maxFileBytes = maxFileBytes
        self.maxHits = maxHits
    }

    struct FileResult: Sendable {
        var path: String
        var bytes = 0
        /// Nothing to read as text (weights): listed, not scanned, not a gap.
        var skipped: String?
        /// What could not be read, in this file or inside it.
        var unscanned: [String] = []
        /// Some of the file was read as text.
        var scanned = false
        var hits: [ScanHit] = []
    }

    public func scan(paths: [String]) throws -> ScanReport {
        let (files, missing, outside) = Self.collect(paths, confineLinksTo: confineLinksTo)
        guard !files.isEmpty || missing.count < paths.count else { throw IntegrityError.noScanTargets(paths) }
        let results = Mutex([FileResult?](repeating: nil, count: files.count))
        if jobs == 1 || files.count <= 1 {
            let done = files.map { scanFile($0) }
            results.withLock { $0 = done }
        } else {
            // Files are handed out one at a time (sizes vary a lot); each result lands in its
            // own slot, so the report's order does not depend on which thread was faster.
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: min(jobs, files.count)) { _ in
                while true {
                    let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard k < files.count else { return }
                    let r = scanFile(files[k])
                    results.withLock { $0[k] = r }
                }
            }
        }
        let all = results.withLock { $0.compactMap { $0 } }

        var hits: [ScanHit] = []
        var skipped: [SkippedFile] = []
        var unscanned = missing.map { SkippedFile(path: $0, reason: "does not exist") }
        unscanned += outside.map { SkippedFile(path: $0, reason: "a link to a path outside the workspace: not followed") }
        var scanned = 0, bytes = 0
        for r in all {
            if let reason = r.skipped { skipped.append(SkippedFile(path: r.path, reason: reason)) }
            unscanned += r.unscanned.map { SkippedFile(path: r.path, reason: $0) }
            if r.scanned { scanned += 1 }
            bytes += r.bytes
            hits.append(contentsOf: r.hits)
        }
        let distinct = Set(hits.map { "\($0.item)\u{0}\($0.field.rawValue)" }).count
        let truncated = hits.count > maxHits
        return ScanReport(task: task, n: index.n, shortN: index.shortN, minTokens: index.minTokens,
                          items: index.sampleCount, indexed: FieldCounts(questions: index.indexed(.question), answers: index.indexed(.answer)),
                          tooShort: FieldCounts(questions: index.skippedShort[.question] ?? 0, answers: index.skippedShort[.answer] ?? 0),
                          grams: index.gramCount, filesScanned: scanned, bytesScanned: bytes, skipped: skipped, unscanned: unscanned,
                          hits: Array(hits.prefix(maxHits)), hitsTruncated: truncated, contaminatedItems: distinct)
    }

    /// Regular files under `paths` (recursively, sorted, links to files followed once, `.git`
    /// skipped), and the paths that do not exist.
    static func collect(_ paths: [String], confineLinksTo roots: [String]? = nil) -> ([String], [String], [String]) {
        let fm = FileManager.default
        var files: [String] = []
        var missing: [String] = []
        var outside: [String] = []
        let realRoots = roots?.map { RealPath.orSelf($0) }
        func allowed(_ link: String) -> Bool {
            guard let realRoots else { return true }
            let r = RealPath.orSelf(link)
            return realRoots.contains { r == $0 || r.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        var seen = Set<String>()
        func add(_ path: String) {
            let real = (try? fm.destinationOfSymbolicLink(atPath: path)).map {
                URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: path).deletingLastPathComponent()).standardizedFileURL.path
            } ?? URL(fileURLWithPath: path).standardizedFileURL.path
            if seen.insert(real).inserted { files.append(path) }
        }
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                missing.append(p)
                continue
            }
            guard isDir.boolValue else {
                add(p)
                continue
            }
            var found: [String] = []
            let root = URL(fileURLWithPath: p)
            if let e = fm.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey, .isRegularFileKey]) {
                for case let url as URL in e {
                    let v = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey, .isRegularFileKey])
                    if v?.isDirectory == true, url.lastPathComponent == ".git" {
                        e.skipDescendants()
                        continue
                    }
                    if v?.isSymbolicLink == true {
                        // Hugging Face caches link snapshot files to blobs; follow links to files only.
                        var linkIsDir: ObjCBool = false
                        if fm.fileExists(atPath: url.path, isDirectory: &linkIsDir), !linkIsDir.boolValue {
                            if allowed(url.path) { found.append(Self.join(p, root, url)) } else { outside.append(Self.join(p, root, url)) }
                        }
                        continue
                    }
                    if v?.isRegularFile == true { found.append(Self.join(p, root, url)) }
                }
            }
            for f in found.sorted() { add(f) }
        }
        return (files, missing, outside)
    }

    /// `url` spelled under the user's `arg`, so reports show the paths the user typed.
    private static func join(_ arg: String, _ root: URL, _ url: URL) -> String {
        let r = root.standardizedFileURL.path, u = url.standardizedFileURL.path
        guard u.hasPrefix(r + "/") else { return u }
        return (arg.hasSuffix("/") ? String(arg.dropLast()) : arg) + u.dropFirst(r.count)
    }

    func scanFile(_ path: String) -> FileResult {
        var result = FileResult(path: path)
        let ext = (path as NSString).pathExtension.lowercased()
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch {
            result.unscanned.append("unreadable (\(error.problem))")
            return result
        }
        let bytes = file.bytes
        // Weights are recognised from their header, which lies at the start: the size limit is
        // for what is read as text.
        let container = ScanContainer.sniff(bytes, ext: ext)
        if file.size > maxFileBytes, container != .safetensors, container != .gguf {
            result.unscanned.append("larger than the limit (\(file.size) > \(maxFileBytes) bytes); raise --max-file-mb to scan it")
            return result
        }
        scanContent(bytes, container: container, file: path, ext: ext, via: [], depth: 0, into: &result)
        return result
    }

    /// Reads one buffer as what it is: opens a container and scans what is inside, or scans
    /// text (and the base64/hex runs in it).
    func scanContent(_ bytes: UnsafeRawBufferPointer, container: ScanContainer?, file: String, ext: String, via: [String],
                     depth: Int, into r: inout FileResult) {
        let here = via.isEmpty ? "" : " (inside: \(via.joined(separator: " → ")))"
        guard depth <= maxDepth else {
            r.unscanned.append("nested more than \(maxDepth) containers deep\(here)")
            return
        }
        let input: ScanDecoders.Input = via.isEmpty ? .file(file) : .bytes(bytes)
        func inner(_ out: ScanDecoders.Output?, _ failure: String?, step: String, ext innerExt: String) {
            if let failure { r.unscanned.append(failure + here) }
            guard let out else { return }
            if let problem = out.problem { r.unscanned.append(problem + here) }
            out.data.withUnsafeBytes { d in
                scanContent(d, container: ScanContainer.sniff(d, ext: innerExt), file: file, ext: innerExt, via: via + [step],
                            depth: depth + 1, into: &r)
            }
        }
        switch container {
        case .gzip, .bzip2, .xz, .zstd, .lz4:
            let (out, failure) = decoders.decompress(container!, input)
            // `train.jsonl.gz` holds JSONL: the inner extension decides escape decoding.
            let innerExt = ((via.isEmpty ? file : "") as NSString).deletingPathExtension.lowercased()
            inner(out, failure, step: container!.rawValue, ext: (innerExt as NSString).pathExtension)
        case .parquet:
            let (out, failure) = decoders.parquet(input)
            inner(out, failure, step: "parquet", ext: "jsonl")
        case .zip:
            let (out, failure) = decoders.zip(input)
            if let failure { r.unscanned.append(failure + here) }
            guard let out else { return }
            if let problem = out.problem { r.unscanned.append(problem + here) }
            out.data.withUnsafeBytes { d in
                var pos = 0
                while pos < d.count {
                    guard let nul = d[pos...].firstIndex(of: 0), nul + 9 <= d.count else { break }
                    let name = String(decoding: d[pos..<nul], as: UTF8.self)
                    let len = Int(UnsafeRawBufferPointer(rebasing: d[(nul + 1)..<(nul + 9)]).loadUnaligned(as: UInt64.self).littleEndian)
                    let start = nul + 9, end = min(d.count, start + len)
                    let member = UnsafeRawBufferPointer(rebasing: d[start..<end])
                    let memberExt = (name as NSString).pathExtension.lowercased()
                    scanContent(member, container: ScanContainer.sniff(member, ext: memberExt), file: file, ext: memberExt,
                                via: via + ["zip member \(name)"], depth: depth + 1, into: &r)
                    pos = end
                }
            }
        case .sevenZip, .rar:
            r.unscanned.append("\(container!.rawValue) archive: ptb has no reader for it (unpack it, or store the data as zip or tar)\(here)")
        case .gguf:
            if via.isEmpty { r.skipped = "GGUF model weights" } else { r.unscanned.append("GGUF weights\(here)") }
        case .safetensors:
            scanSafetensors(bytes, file: file, via: via, depth: depth, into: &r)
        case .utf16le, .utf16be:
            let text = String(decoding: Self.utf16Units(bytes, littleEndian: container == .utf16le), as: UTF16.self)
            var utf8 = Array(text.utf8)
            utf8.withUnsafeMutableBytes { d in
                scanText(UnsafeRawBufferPointer(d), file: file, escapes: Self.escapedExtensions.contains(ext), via: via + [container!.rawValue],
                         depth: depth + 1, into: &r)
            }
        case nil:
            // Text, or bytes with NULs between text (JSONL with NULs, a tarball, uncompressed
            // Arrow buffers as the HF datasets cache writes them): the lexer treats NUL as a
            // separator, so every text segment is read as it stands.
            let escapes = Self.escapedExtensions.contains(ext) || Self.looksLikeJSON(bytes)
            scanText(bytes, file: file, escapes: escapes, via: via, depth: depth, into: &r)
        }
    }

    /// The header (names, dtypes, `__metadata__`), the bytes of 8-bit integer tensors (text
    /// fits there as well as anywhere) and any bytes no tensor claims; not the weights.
    func scanSafetensors(_ bytes: UnsafeRawBufferPointer, file: String, via: [String], depth: Int, into r: inout FileResult) {
        let header: SafetensorsHeader
        do { header = try SafetensorsHeader.parse(file: bytes) } catch {
            // Not a valid safetensors file after all: read it as it stands.
            scanText(bytes, file: file, escapes: true, via: via, depth: depth, into: &r)
            return
        }
        let json = UnsafeRawBufferPointer(rebasing: bytes[8..<header.dataOffset])
        scanText(json, file: file, escapes: true, via: via + ["safetensors header"], depth: depth, into: &r)
        var covered = header.dataOffset
        for t in header.tensors {
            let begin = header.dataOffset + t.begin, end = header.dataOffset + t.end
            if begin > covered {
                scanText(UnsafeRawBufferPointer(rebasing: bytes[covered..<begin]), file: file, escapes: true,
                         via: via + ["safetensors bytes outside any tensor"], depth: depth, into: &r)
            }
            if [.u8, .i8, .bool].contains(t.dtype), end <= bytes.count, end - begin <= maxFileBytes {
                scanText(UnsafeRawBufferPointer(rebasing: bytes[begin..<end]), file: file, escapes: true,
                         via: via + ["safetensors tensor \(t.name)"], depth: depth, into: &r)
            }
            covered = max(covered, end)
        }
        if covered < bytes.count {
            scanText(UnsafeRawBufferPointer(rebasing: bytes[covered...]), file: file, escapes: true,
                     via: via + ["safetensors bytes outside any tensor"], depth: depth, into: &r)
        }
    }

    /// Scans text for items (and their ROT13 copies, if indexed), then opens every long base64
    /// or hex run in it.
    func scanText(_ bytes: UnsafeRawBufferPointer, file: String, escapes: Bool, via: [String], depth: Int, into r: inout FileResult) {
        r.scanned = true
        r.bytes += bytes.count
        r.hits += scan(bytes: bytes, escapes: escapes).map {
            let item = index.items[$0.item]
            let steps = via + (item.variant.map { [$0] } ?? [])
            return ScanHit(file: file, line: $0.line, item: item.id, field: item.field, grams: $0.grams, gramLength: $0.length,
                           via: steps.isEmpty ? nil : steps.joined(separator: " → "))
        }
        let runs = EncodedRuns.find(bytes)
        guard !runs.isEmpty else { return }
        var lines = LineCounter(bytes)
        for run in runs {
            let (decoded, how) = EncodedRuns.decode(UnsafeRawBufferPointer(rebasing: bytes[run.start..<run.end]))
            let step = "line \(lines.line(at: run.start)): \(how)"
            decoded.withUnsafeBytes { d in
                scanContent(d, container: ScanContainer.sniff(d, ext: ""), file: file, ext: "", via: via + [step], depth: depth + 1, into: &r)
            }
        }
    }

    static func looksLikeJSON(_ b: UnsafeRawBufferPointer) -> Bool {
        for c in b.prefix(64) where c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09 {
            return c == UInt8(ascii: "{") || c == UInt8(ascii: "[")
        }
        return false
    }

    static func utf16Units(_ b: UnsafeRawBufferPointer, littleEndian: Bool) -> [UInt16] {
        var units = [UInt16]()
        units.reserveCapacity(b.count / 2)
        var k = 0
        while k + 1 < b.count {
            units.append(littleEndian ? UInt16(b[k]) | UInt16(b[k + 1]) << 8 : UInt16(b[k]) << 8 | UInt16(b[k + 1]))
            k += 2
        }
        // A byte-order mark decodes to U+FEFF, a separator to the lexer.
        return units
    }

    /// The hits in one buffer, sorted by line then item.
    public func scan(bytes: UnsafeRawBufferPointer, escapes: Bool) -> [(line: Int, item: Int, grams: Int, length: Int)] {
        guard !index.items.isEmpty else { return [] }
        var sink = ScanSink(index: index, maxHits: maxHits, bytes: bytes)
        BlockLexer.run(bytes, escapes: escapes, into: &sink)
        let hits = sink.finish()
        return hits
    }
}
