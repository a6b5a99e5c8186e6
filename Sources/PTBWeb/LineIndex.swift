import Foundation
import CPTBText
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Start offsets of every line of a (possibly huge, possibly growing) text file, so a page of
/// lines is one seek and one read. Built once per file by a memchr scan and extended when the
/// file grows (a running agent appends to its trace).
public struct LineIndex: Sendable {
    /// `starts[i]` is the byte offset of line i; `end` is the length covered.
    public private(set) var starts: [UInt64] = []
    public private(set) var end: UInt64 = 0
    /// Whether the covered part ended inside a line (no trailing newline yet).
    var openLine = false
    var modified: Date?

    public var count: Int { starts.count }

    static let chunk = 8 << 20

    /// Indexes bytes `[end, size)` of the file.
    mutating func extend(_ url: URL) throws {
        let fh = try FileHandle(forReadingFrom: url)
        defer { try? fh.close() }
        try fh.seek(toOffset: end)
        while true {
            guard let data = try fh.read(upToCount: Self.chunk), !data.isEmpty else { break }
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                guard let base = raw.baseAddress else { return }
                var pos = 0
                let n = raw.count
                while pos < n {
                    if !openLine {
                        starts.append(end + UInt64(pos))
                        openLine = true
                    }
                    guard let hit = memchr(base + pos, 0x0A, n - pos) else { pos = n; break }
                    pos = base.distance(to: UnsafeRawPointer(hit)) + 1
                    openLine = false
                }
            }
            end += UInt64(data.count)
        }
    }

    /// Byte range of lines `[from, to)`.
    func range(_ from: Int, _ to: Int) -> (UInt64, UInt64) {
        (starts[from], to < starts.count ? starts[to] : end)
    }

    /// The line containing byte `offset`.
    func line(at offset: UInt64) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

/// One cache for the whole server: the index of each file viewed, refreshed when its size or
/// modification time changes. Indexes are small (8 bytes a line) next to the files.
public final class LineIndexCache: Sendable {
    private let entries = Mutex<[String: LineIndex]>([:])

    public init() {}

    public func index(_ url: URL) throws -> LineIndex {
        let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attrs[.size] as? NSNumber)?.uint64Value ?? 0
        let mtime = attrs[.modificationDate] as? Date
        var idx = entries.withLock { $0[url.path] } ?? LineIndex()
        if idx.end == size, idx.modified == mtime { return idx }
        // Shrunk or rewritten in place: start over; grown: index only the new bytes.
        if size < idx.end { idx = LineIndex() }
        try idx.extend(url)
        idx.modified = mtime
        let done = idx
        entries.withLock { $0[url.path] = done }
        return done
    }

    /// Lines `[from, to)` of the file as strings (invalid UTF-8 repaired), without their newline.
    public func lines(_ url: URL, from: Int, to: Int) throws -> [String] {
        let idx = try index(url)
        let lo = max(0, from), hi = min(to, idx.count)
        guard lo < hi else { return [] }
        let (a, b) = idx.range(lo, hi)
        let fh = try FileHandle(forReadingFrom: url)
        defer { try? fh.close() }
        try fh.seek(toOffset: a)
        let data = try fh.read(upToCount: Int(b - a)) ?? Data()
        var out: [String] = []
        out.reserveCapacity(hi - lo)
        for i in lo..<hi {
            let (s, e) = idx.range(i, i + 1)
            let start = Int(s - a), stop = min(Int(e - a), data.count)
            guard start < stop else { out.append(""); continue }
            var slice = data[data.startIndex + start ..< data.startIndex + stop]
            if slice.last == 0x0A { slice = slice.dropLast() }
            if slice.last == 0x0D { slice = slice.dropLast() }
            out.append(String(decoding: slice, as: UTF8.self))
        }
        return out
    }

    public struct SearchResult: Sendable {
        /// Matching line numbers (0-based), in file order, at most `limit`.
        public var lines: [Int]
        /// More lines matched than listed.
        public var truncated: Bool
    }

    /// Lines containing `needle`, ASCII case-insensitively, by a chunked scan of the file (never
    /// held whole in memory) with a memchr-driven C search, so it is fast in debug builds too.
    public func search(_ url: URL, needle: String, limit: Int = 200) throws -> SearchResult {
        let idx = try index(url)
        let pattern = Array(needle.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        guard !pattern.isEmpty else { return SearchResult(lines: [], truncated: false) }
        let fh = try FileHandle(forReadingFrom: url)
        defer { try? fh.close() }
        var found: [Int] = []
        var offset: UInt64 = 0
        // A match may straddle two chunks: each chunk starts with the previous one's last bytes.
        let overlap = pattern.count - 1
        var carry = Data()
        while offset < idx.end {
            let want = Int(min(UInt64(LineIndex.chunk), idx.end - offset))
            guard let data = try fh.read(upToCount: want), !data.isEmpty else { break }
            let buf = carry + data
            let bufStart = offset - UInt64(carry.count)
            var stop = false
            buf.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let n = raw.count
                var pos = 0
                pattern.withUnsafeBufferPointer { pat in
                    while pos < n {
                        let rel = ptb_find_nocase(base + pos, n - pos, pat.baseAddress!, pat.count)
                        if rel < 0 { break }
                        let at = pos + rel
                        let line = idx.line(at: bufStart + UInt64(at))
                        if found.last != line {
                            if found.count == limit { stop = true; return }
                            found.append(line)
                        }
                        // One hit per line is enough: continue at the next line.
                        let next = line + 1 < idx.count ? idx.starts[line + 1] : idx.end
                        pos = max(at + 1, Int(next) - Int(bufStart))
                    }
                }
            }
            if stop { return SearchResult(lines: found, truncated: true) }
            offset += UInt64(data.count)
            carry = overlap > 0 ? Data(data.suffix(overlap)) : Data()
        }
        return SearchResult(lines: found, truncated: false)
    }

}
