import Dispatch
import Foundation
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

    /// String escapes in these formats are decoded (see `TextNormalizer`).
    static let escapedExtensions: Set<String> = ["json", "jsonl", "ndjson", "ipynb", "py"]
    static let binaryExtensions: [String: String] = [
        "parquet": "Parquet is binary; export it to JSONL (e.g. pandas `read_parquet(...).to_json(lines=True)`) to scan it",
        "arrow": "Arrow is binary; export the dataset to JSONL (`dataset.to_json(path)`) to scan it",
        "safetensors": "model weights", "bin": "binary", "pt": "binary", "pth": "binary", "gguf": "model weights",
        "gz": "compressed; decompress it to scan it", "zst": "compressed; decompress it to scan it",
        "zip": "compressed; unpack it to scan it", "tar": "archive; unpack it to scan it",
    ]

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
        var skipped: String?
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
        var skipped = missing.map { SkippedFile(path: $0, reason: "does not exist") }
        skipped += outside.map { SkippedFile(path: $0, reason: "a link to a path outside the workspace: not followed") }
        var scanned = 0, bytes = 0
        for r in all {
            if let reason = r.skipped {
                skipped.append(SkippedFile(path: r.path, reason: reason))
            } else {
                scanned += 1
                bytes += r.bytes
                hits.append(contentsOf: r.hits)
            }
        }
        let distinct = Set(hits.map { "\($0.item)\u{0}\($0.field.rawValue)" }).count
        let truncated = hits.count > maxHits
        return ScanReport(task: task, n: index.n, shortN: index.shortN, minTokens: index.minTokens,
                          items: index.sampleCount, indexed: FieldCounts(questions: index.indexed(.question), answers: index.indexed(.answer)),
                          tooShort: FieldCounts(questions: index.skippedShort[.question] ?? 0, answers: index.skippedShort[.answer] ?? 0),
                          grams: index.gramCount, filesScanned: scanned, bytesScanned: bytes, skipped: skipped,
                          hits: Array(hits.prefix(maxHits)), hitsTruncated: truncated, contaminatedItems: distinct)
    }

    /// Regular files under `paths` (recursively, sorted, links to files followed once, `.git`
    /// skipped), and the paths that do not exist.
    static func collect(_ paths: [String], confineLinksTo roots: [String]? = nil) -> ([String], [String], [String]) {
        let fm = FileManager.default
        var files: [String] = []
        var missing: [String] = []
        var outside: [String] = []
        let realRoots = roots?.map { Self.realPath($0) }
        func allowed(_ link: String) -> Bool {
            guard let realRoots else { return true }
            let r = Self.realPath(link)
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

    static func realPath(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
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
        if let why = Self.binaryExtensions[ext] {
            result.skipped = why
            return result
        }
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch {
            result.skipped = "unreadable (\(error.problem))"
            return result
        }
        if file.size > maxFileBytes {
            result.skipped = "larger than the limit (\(file.size) > \(maxFileBytes) bytes); raise --max-file-mb to scan it"
            return result
        }
        let bytes = file.bytes
        if let base = bytes.baseAddress, memchr(base, 0, min(bytes.count, 8192)) != nil {
            result.skipped = "binary (NUL byte in the first 8 KiB)"
            return result
        }
        result.bytes = bytes.count
        result.hits = scan(bytes: bytes, escapes: Self.escapedExtensions.contains(ext)).map {
            ScanHit(file: path, line: $0.line, item: index.items[$0.item].id, field: index.items[$0.item].field,
                    grams: $0.grams, gramLength: $0.length)
        }
        return result
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
