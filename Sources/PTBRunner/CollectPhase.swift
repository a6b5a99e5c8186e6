import Foundation
import PTBCore
import PTBSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Copies the agent's `final_model` out of the workspace. Collect runs outside the sandbox with
/// the host user's rights, so it never follows a link out of the workspace: every file must be a
/// regular file whose real path lies inside the workspace (links inside it are copied as their
/// targets' contents). Anything else ends the run as `invalid-submission`, with the reason, and
/// nothing is copied. The final evaluation uses only this copy.
enum CollectPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let fm = FileManager.default
        let p = ctx.paths
        if fm.fileExists(atPath: p.finalModel.path) { try fm.removeItem(at: p.finalModel) }
        let record = p.dir.appendingPathComponent(SubmissionRecord.fileName)
        var st = stat()
        guard lstat(p.agentFinalModel.path, &st) == 0 else {
            try JSONIO.write(SubmissionRecord(state: .noFinalModel, reason: "the agent left no final_model/"), to: record)
            return .done("the agent left no final_model/")
        }
        let tmp = p.dir.appendingPathComponent(".final_model.partial")
        if fm.fileExists(atPath: tmp.path) { try fm.removeItem(at: tmp) }
        do {
            let (files, bytes) = try SubmissionCopy(workspace: p.workspace).copy(p.agentFinalModel, to: tmp)
            try fm.moveItem(at: tmp, to: p.finalModel)
            try JSONIO.write(SubmissionRecord(state: .collected, files: files, bytes: bytes), to: record)
            let fingerprint = DuplicateSubmissionCheck.recordFingerprint(ctx)
            return .done("collected final_model (\(files) files, \(bytes) bytes)" + fingerprint)
        } catch let e as SubmissionCopy.Refusal {
            try? fm.removeItem(at: tmp)
            try JSONIO.write(SubmissionRecord(state: .invalidSubmission, reason: e.description), to: record)
            return .done("invalid-submission: \(e.description)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // ptb's own failure (disk full, an I/O error, too many open files), not the agent's:
            // the phase fails, so that evaluate never reports the agent as leaving no model.
            try? fm.removeItem(at: tmp)
            try? fm.removeItem(at: record)
            return .failed("could not copy final_model out of the workspace: \(error). Free disk space or fix the error, then run `ptb resume \(p.id)`.")
        }
    }
}

/// A no-follow copy of a directory tree confined to one root.
struct SubmissionCopy {
    var workspace: URL
    var maxDepth = 32

    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// Copies `source` (a directory, or a link to one inside the workspace) to `dest`; returns
    /// the number of files and bytes. Throws `Refusal` for anything that is not the agent's own.
    func copy(_ source: URL, to dest: URL) throws -> (Int, Int64) {
        let root = RealPath.orSelf(workspace.path)
        var files = 0
        var bytes: Int64 = 0
        let display = { (u: URL) in u.path.hasPrefix(workspace.path + "/") ? String(u.path.dropFirst(workspace.path.count + 1)) : u.path }

        func resolve(_ url: URL) throws -> (String, stat) {
            var st = stat()
            guard lstat(url.path, &st) == 0 else {
                let e = errno
                // Unreadable by the agent's own doing (its files, its permissions) is its
                // submission's fault; anything else (EIO, ENOMEM) is the host's.
                guard e == EACCES || e == EPERM || e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG else {
                    throw PTBError.io("cannot read \(url.path): \(String(cString: strerror(e)))")
                }
                throw Refusal(description: "\(display(url)) cannot be read: \(String(cString: strerror(e)))")
            }
            if (st.st_mode & S_IFMT) != S_IFLNK { return (url.path, st) }
            let target = RealPath.orSelf(url.path)
            guard SandboxView.isInside(target, root) else {
                let dest = (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) ?? "?"
                throw Refusal(description: "\(display(url)) is a link to \(dest), outside the workspace: a submission must be the agent's own files")
            }
            var tst = stat()
            guard stat(target, &tst) == 0 else { throw Refusal(description: "\(display(url)) is a dangling link") }
            return (target, tst)
        }

        func walk(_ src: URL, _ dst: URL, depth: Int) throws {
            guard depth < maxDepth else { throw Refusal(description: "\(display(src)) nests deeper than \(maxDepth) levels (a link loop?)") }
            let (real, st) = try resolve(src)
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                try FileManager.default.createDirectory(at: dst, withIntermediateDirectories: false)
                let names = try FileManager.default.contentsOfDirectory(atPath: real).sorted()
                for n in names { try walk(URL(fileURLWithPath: real).appendingPathComponent(n), dst.appendingPathComponent(n), depth: depth + 1) }
            case S_IFREG:
                bytes += try Self.copyFile(real, to: dst.path)
                files += 1
            default:
                throw Refusal(description: "\(display(src)) is not a regular file or directory")
            }
        }
        let (_, top) = try resolve(source)
        guard (top.st_mode & S_IFMT) == S_IFDIR else { throw Refusal(description: "final_model is not a directory") }
        try walk(source, dest, depth: 0)
        return (files, bytes)
    }

    /// Opens with O_NOFOLLOW, so a link swapped in after the check is refused, not followed.
    static func copyFile(_ src: String, to dst: String) throws -> Int64 {
        let input = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else {
            let e = errno
            guard e == ELOOP || e == EACCES || e == EPERM || e == ENOENT else {
                throw PTBError.io("cannot open \(src): \(String(cString: strerror(e)))")
            }
            throw Refusal(description: "\(src) cannot be opened without following links: \(String(cString: strerror(e)))")
        }
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw Refusal(description: "\(src) is not a regular file") }
        let output = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw PTBError.io("cannot create \(dst): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw PTBError.io("reading \(src): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            var off = 0
            while off < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + off, n - off) }
                if w < 0 { throw PTBError.io("writing \(dst): \(String(cString: strerror(errno)))") }
                off += w
            }
            total += Int64(n)
        }
        return total
    }
}
