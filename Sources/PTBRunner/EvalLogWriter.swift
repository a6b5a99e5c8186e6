import Foundation
import Glibc
import PTBCore
import PTBEval

/// Writes an evaluation's samples into the agent's workspace (`task/eval_logs/<time>/`), where the
/// original harness's evaluate.py left its logs: for the dev split always, for the test split only
/// with `--eval-feedback original`. The workspace belongs to the agent, so nothing on the way is
/// followed if it is a symlink: a planted `eval_logs -> ~/somewhere` must not make ptb write
/// outside the workspace.
enum EvalLogWriter {
    /// `2026-01-02T030405Z` (the old `ptb eval` default under `eval_logs/`), `-dev` for the dev split.
    static func directoryName(_ date: Date, split: BrokerRequest.Split) -> String {
        Timestamps.iso(date).replacingOccurrences(of: ":", with: "") + (split == .dev ? "-dev" : "")
    }

    /// Copies `evalDir/samples.jsonl` and a `metrics.json` with the score (not ptb's, whose
    /// `model` is the snapshot's path in the run directory) into `task/eval_logs/<name>/`.
    /// Returns the directory relative to `task/`.
    static func write(from evalDir: URL, metrics: EvalMetrics, split: BrokerRequest.Split, workspace: URL, name: String) throws -> String {
        let samples = try Data(contentsOf: evalDir.appendingPathComponent("samples.jsonl"))
        let score: [String: Any] = ["accuracy": metrics.accuracy, "stderr": metrics.stderr, "n": metrics.n, "task": metrics.task,
                                    "split": split.rawValue]
        var metricsData = try JSONSerialization.data(withJSONObject: score, options: [.prettyPrinted, .sortedKeys])
        metricsData.append(0x0A)
        return try write(files: [("samples.jsonl", samples), ("metrics.json", metricsData)], workspace: workspace, name: name)
    }

    static func write(files: [(name: String, data: Data)], workspace: URL, name: String) throws -> String {
        let root = open(workspace.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw BrokerError("cannot open the workspace: \(String(cString: strerror(errno)))") }
        defer { close(root) }
        let task = try openDirectory(root, "task", display: "task")
        defer { close(task) }
        if mkdirat(task, "eval_logs", 0o755) != 0, errno != EEXIST {
            throw BrokerError("cannot create task/eval_logs: \(String(cString: strerror(errno)))")
        }
        let logs = try openDirectory(task, "eval_logs", display: "task/eval_logs")
        defer { close(logs) }
        // Two requests in the same second get `<time>-2`, `<time>-3`, …
        var dirName = name
        var n = 1
        while mkdirat(logs, dirName, 0o755) != 0 {
            guard errno == EEXIST, n < 100 else { throw BrokerError("cannot create task/eval_logs/\(dirName): \(String(cString: strerror(errno)))") }
            n += 1
            dirName = "\(name)-\(n)"
        }
        let dir = try openDirectory(logs, dirName, display: "task/eval_logs/\(dirName)")
        defer { close(dir) }
        for file in files {
            let fd = openat(dir, file.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BrokerError("cannot create task/eval_logs/\(dirName)/\(file.name): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            try file.data.withUnsafeBytes { buf in
                var off = 0
                while off < buf.count {
                    let w = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw BrokerError("cannot write task/eval_logs/\(dirName)/\(file.name): \(String(cString: strerror(errno)))")
                    }
                    off += w
                }
            }
        }
        return "eval_logs/\(dirName)"
    }

    /// A directory of the workspace, refusing a symlink in its place.
    private static func openDirectory(_ parent: Int32, _ name: String, display: String) throws -> Int32 {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ELOOP || e == ENOTDIR {
                throw BrokerError("\(display) is a symlink or not a directory; ptb writes evaluation logs only into a real directory of the workspace. Remove it to get the logs.")
            }
            throw BrokerError("cannot open \(display): \(String(cString: strerror(e)))")
        }
        return fd
    }
}
