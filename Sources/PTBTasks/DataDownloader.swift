import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PTBCore

public enum DataPullError: Error, CustomStringConvertible, Equatable {
    case noSources(task: String, known: [String])
    case unreachable(url: String, reason: String)
    case http(url: String, status: Int)
    case checksum(url: String, expected: String, got: String)

    public var description: String {
        switch self {
        case let .noSources(task, known):
            "no pinned download for task \(task) (pullable: \(known.joined(separator: ", "))); import a file with `ptb data import \(task) PATH`."
        case let .unreachable(url, reason):
            "cannot download \(url) (\(reason)). Without network access, copy the file here and run `ptb data import TASK PATH [--split S]`."
        case let .http(url, status):
            "HTTP \(status) for \(url)" + (status == 401 || status == 403 ? " (a gated Hugging Face file needs HF_TOKEN in the environment)." : ".")
        case let .checksum(url, expected, got):
            "\(url) has sha256 \(got), not the pinned \(expected): upstream changed or the download is corrupt. Nothing was imported."
        }
    }
}

/// `ptb data pull`: downloads each pinned file, checks its sha256, then imports it through the
/// task's normaliser (so the manifest records rows and hashes as for `ptb data import`).
public struct DataDownloader: Sendable {
    public var store: TaskDataStore
    public var environment: [String: String]
    /// Rewrites pinned URLs (tests serve the files from a local server); nil keeps them.
    public var mirror: String?
    /// Until the response head arrives. async-http-client retries refused connections until this
    /// deadline, so it is also how long an offline pull takes to say so.
    public var headTimeoutSeconds: Int64 = 60
    public var progress: @Sendable (String) -> Void

    public init(store: TaskDataStore, environment: [String: String] = ProcessInfo.processInfo.environment, mirror: String? = nil,
                progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.environment = environment
        self.mirror = mirror
        self.progress = progress
    }

    public func sources(_ task: String) throws -> [PinnedFile] {
        guard DataSources.all[task] != nil || DataSources.hubRows[task] != nil else {
            throw DataPullError.noSources(task: task, known: DataSources.tasks)
        }
        return DataSources.all[task] ?? []
    }

    func effectiveURL(_ url: String) -> String {
        guard let mirror, let r = url.range(of: "://") else { return url }
        // Keep the path after the host so one mirror can serve several upstreams.
        let afterScheme = url[r.upperBound...]
        let path = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        return (mirror.hasSuffix("/") ? String(mirror.dropLast()) : mirror) + path
    }

    /// Pulls every file of `task`; returns the manifest entries and warnings.
    public func pull(_ task: String) async throws -> [(DataManifest.Entry, [String])] {
        let t = try TaskRegistry.datasetTask(task)
        var out: [(DataManifest.Entry, [String])] = []
        let downloads = store.home.data.appendingPathComponent(".downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        for file in try sources(task) {
            let url = effectiveURL(file.url)
            let data = try await download(url)
            let got = Hashing.sha256(data)
            guard got == file.sha256 else { throw DataPullError.checksum(url: url, expected: file.sha256, got: got) }
            let tmp = downloads.appendingPathComponent("\(task)-\(file.split)-\(URL(string: file.url)?.lastPathComponent ?? "file")")
            try AtomicFile.write(data, to: tmp)
            defer { try? FileManager.default.removeItem(at: tmp) }
            let (entry, warnings) = try store.importFile(tmp, task: t, split: file.split, sourceLabel: file.url)
            out.append((entry, warnings))
        }
        for rows in DataSources.hubRows[task] ?? [] {
            let data = try rows.render(try await fetchRows(rows, task: task))
            let tmp = downloads.appendingPathComponent("\(task)-\(rows.taskSplit).rows")
            try AtomicFile.write(data, to: tmp)
            defer { try? FileManager.default.removeItem(at: tmp) }
            out.append(try store.importFile(tmp, task: t, split: rows.taskSplit, sourceLabel: rows.label))
        }
        return out
    }

    /// Every row of one split, 100 per request (the API's maximum), with progress.
    func fetchRows(_ rows: HubRows, task: String) async throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var total: Int?
        repeat {
            let url = effectiveURL(rows.pageURL(offset: out.count, length: 100))
            let page = try await download(url, quiet: true)
            guard let obj = try? JSONSerialization.jsonObject(with: page) as? [String: Any], let list = obj["rows"] as? [[String: Any]] else {
                throw DataPullError.unreachable(url: url, reason: "the response is not a datasets-server rows page")
            }
            total = (obj["num_rows_total"] as? Int) ?? total
            let batch = list.compactMap { $0["row"] as? [String: Any] }
            if batch.isEmpty { break }
            out += batch
            progress("\(task) \(rows.taskSplit): \(out.count)/\(total.map(String.init) ?? "?") rows from \(rows.dataset)")
        } while out.count < (total ?? 0)
        return out
    }

    /// HF_TOKEN goes to Hugging Face hosts only (the hub and its datasets-server).
    func authorization(for url: String) -> String? {
        guard let token = environment["HF_TOKEN"], !token.isEmpty, let host = URL(string: url)?.host,
              host == "huggingface.co" || host.hasSuffix(".huggingface.co") else { return nil }
        return "Bearer \(token)"
    }

    func download(_ url: String, quiet: Bool = false) async throws -> Data {
        var req = HTTPClientRequest(url: url)
        if let auth = authorization(for: url) { req.headers.add(name: "Authorization", value: auth) }
        let resp: HTTPClientResponse
        do {
            resp = try await HTTPClient.shared.execute(req, timeout: .seconds(headTimeoutSeconds))
        } catch {
            throw DataPullError.unreachable(url: url, reason: "\(error)")
        }
        guard resp.status == .ok else { throw DataPullError.http(url: url, status: Int(resp.status.code)) }
        let total = resp.headers.first(name: "Content-Length").flatMap { Int($0) }
        var data = Data()
        var lastShown = Date.distantPast
        do {
            for try await chunk in resp.body {
                data.append(contentsOf: chunk.readableBytesView)
                if !quiet, Date().timeIntervalSince(lastShown) >= 1 {
                    lastShown = Date()
                    progress("\(url): \(data.count / 1024) KiB" + (total.map { " of \($0 / 1024) KiB" } ?? ""))
                }
            }
        } catch {
            throw DataPullError.unreachable(url: url, reason: "\(error)")
        }
        if !quiet { progress("\(url): \(data.count / 1024) KiB done") }
        return data
    }
}
